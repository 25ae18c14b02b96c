using System.Globalization;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Workflows;
using NUnit.Framework.Interfaces;

namespace ExeSys.Tests.Infrastructure.Fixtures;

/// <summary>A workflow fixture on shared processes. A failing test lists the processes' logs.</summary>
public abstract class WorkflowFixture
{
    protected ExeSysDeployment Cluster { get; private set; } = null!;

    protected abstract Task<ExeSysDeployment> StartOrShareAsync();

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
    protected static string NewId(string hint) => string.Create(CultureInfo.InvariantCulture, $"{hint}-{Guid.NewGuid():N}");
}

/// <summary>One API, two controllers and two workers.</summary>
public abstract class On_the_shared_cluster : WorkflowFixture
{
    protected override Task<ExeSysDeployment> StartOrShareAsync() => SharedWorkflowCluster.TwoOfEachAsync();
}

/// <summary>One API, one controller and one worker with a single slot, so the order jobs run in is visible.</summary>
public abstract class On_a_worker_with_one_slot : WorkflowFixture
{
    protected override Task<ExeSysDeployment> StartOrShareAsync() => SharedWorkflowCluster.OneSlotAsync();
}
