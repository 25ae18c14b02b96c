using NUnit.Framework.Interfaces;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// The processes the workflow fixtures share, so each set starts once: one API, two controllers and two workers;
/// and one API, one controller and one worker that runs a single job at a time. Each set starts when the first
/// fixture asks for it (a filtered run starts only what it needs) and stops when the namespace's tests are done.
/// Every test uses job_ids and clients of its own, so the fixtures never see each other's runs.
/// </summary>
[SetUpFixture]
public sealed class SharedWorkflowCluster
{
    private static readonly Lock Gate = new();
    private static Task<WorkflowCluster>? _twoOfEach;
    private static Task<WorkflowCluster>? _oneSlot;

    public static Task<WorkflowCluster> TwoOfEachAsync()
    {
        lock (Gate)
        {
            return _twoOfEach ??= WorkflowCluster.StartAsync("wf", controllers: 2, workers: 2);
        }
    }

    public static Task<WorkflowCluster> OneSlotAsync()
    {
        lock (Gate)
        {
            return _oneSlot ??= WorkflowCluster.StartAsync("wf1", controllers: 1, workers: 1, s => s.With("ExeSys:Worker:Concurrency", "1"));
        }
    }

    [OneTimeTearDown]
    public async Task Stop_the_shared_processes()
    {
        Task<WorkflowCluster>?[] clusters;
        lock (Gate)
        {
            clusters = [_twoOfEach, _oneSlot];
            (_twoOfEach, _oneSlot) = (null, null);
        }

        foreach (var cluster in clusters)
        {
            if (cluster is { IsCompletedSuccessfully: true })
            {
                await (await cluster).DisposeAsync();
            }
        }
    }
}

/// <summary>A workflow fixture on shared processes. A failing test lists the processes' logs.</summary>
public abstract class WorkflowFixture
{
    protected WorkflowCluster Cluster { get; private set; } = null!;

    protected abstract Task<WorkflowCluster> StartOrShareAsync();

    [OneTimeSetUp]
    public async Task Use_the_shared_processes() => Cluster = await StartOrShareAsync();

    [TearDown]
    public async Task Show_the_process_logs_if_the_test_failed()
    {
        if (Cluster is not null && TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed)
        {
            await TestContext.Out.WriteLineAsync($"Process logs:{Environment.NewLine}{Cluster.DescribeLogs()}");
        }
    }

    /// <summary>A job_id or client name of this test's own, readable in the logs.</summary>
    protected static string NewId(string hint) => WorkflowCluster.NewId(hint);
}

/// <summary>One API, two controllers and two workers.</summary>
public abstract class On_the_shared_cluster : WorkflowFixture
{
    protected override Task<WorkflowCluster> StartOrShareAsync() => SharedWorkflowCluster.TwoOfEachAsync();
}

/// <summary>One API, one controller and one worker with a single slot, so the order jobs run in is visible.</summary>
public abstract class On_a_worker_with_one_slot : WorkflowFixture
{
    protected override Task<WorkflowCluster> StartOrShareAsync() => SharedWorkflowCluster.OneSlotAsync();
}
