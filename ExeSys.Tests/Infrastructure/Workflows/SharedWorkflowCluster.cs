using ExeSys.Tests.Infrastructure.Workflows;

// Deliberately the suite's namespace, not the folder's: an NUnit [SetUpFixture] runs around the tests of its own
// namespace, so in ExeSys.Tests.Workflows its teardown stops the shared processes once every workflow test is done.
// In ExeSys.Tests.Infrastructure.Workflows it would cover no test at all and the shared processes would never stop.
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
