using System.Globalization;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

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
    private static Task<ExeSysDeployment>? _twoOfEach;
    private static Task<ExeSysDeployment>? _oneSlot;

    public static Task<ExeSysDeployment> TwoOfEachAsync()
    {
        lock (Gate)
        {
            return _twoOfEach ??= StartAsync("wf", controllers: 2, workers: 2);
        }
    }

    public static Task<ExeSysDeployment> OneSlotAsync()
    {
        lock (Gate)
        {
            return _oneSlot ??= StartAsync("wf1", controllers: 1, workers: 1, s => s.With("ExeSys:Worker:Concurrency", "1"));
        }
    }

    /// <summary>
    /// Real ExeSys processes on a key prefix of their own: one API, some controllers and some workers, as
    /// start_exe_sys.sh runs them. Ready means the API answers, every controller and worker has registered, the
    /// workers listen for cancellations, the API listens for completions and lists the workers' functions, so no test
    /// races the start-up. The API also reads named definitions from a temporary workflows folder.
    /// </summary>
    /// <param name="name">Names the prefix and the processes' logs.</param>
    /// <param name="configure">Settings of every process beyond the test defaults (e.g. worker concurrency).</param>
    private static Task<ExeSysDeployment> StartAsync(string name, int controllers, int workers, Func<TestSettings, TestSettings>? configure = null)
    {
        var settings = TestSettings.For(TestRedis.NewPrefix(name))
            .With("ExeSys:Api:WorkflowsRescan", "00:00:00.200")
            // A worker drops out of the registry after three missed beats, and then its functions are unknown (400/422).
            // The test default (500 ms) is too tight for a loaded machine where a process can stall for seconds.
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:05");
        settings = configure?.Invoke(settings) ?? settings;

        var builder = ExeSysDeployment.Build(settings)
            .WithWorkflowsFolder()
            .WithApiProcess($"{name}-api")
            .WithPlainClient(TimeSpan.FromSeconds(60))
            .WithStartTimeout(TimeSpan.FromSeconds(120))
            .WaitForRegistration()
            .WaitForFunctions("sum", "wait_delay");
        for (var i = 1; i <= controllers; i++)
        {
            builder.WithController($"{name}-controller-{i}");
        }

        for (var i = 1; i <= workers; i++)
        {
            builder.WithWorker($"{name}-worker-{i}", id: string.Create(CultureInfo.InvariantCulture, $"{settings.Prefix}-worker-{i}"));
        }

        return builder.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop_the_shared_processes()
    {
        Task<ExeSysDeployment>?[] clusters;
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
