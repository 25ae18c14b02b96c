using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// A worker process that may hold one runner (<c>ExeSys:Worker:MaxRunners=1</c>), with a controller process and the
/// API's pipeline in-process. A runner it cannot take waits, handed back, until there is room: which also gives a
/// runner that certainly has not started yet.
/// </summary>
[TestFixture]
public sealed class Holding_runners_on_a_bounded_worker
{
    private const string From = "bounded";
    private const string Bounded = "bounded-worker";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ExeSysDeployment _cluster = null!;
    private string _modulesFolder = null!;

    private HttpClient Client => _cluster.Client;

    [OneTimeSetUp]
    public async Task Start_a_worker_that_holds_one_runner()
    {
        _modulesFolder = Directory.CreateTempSubdirectory("exesys-no-modules-").FullName;
        var settings = TestSettings.For(TestRedis.NewPrefix("bounded"))
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        _cluster = await ExeSysDeployment.Build(settings)
            .WithModulesFolder(_modulesFolder)
            .WithController("controller")
            .WithApiInProcess()
            .StartAsync();
        _cluster.StartWorker(Bounded, s => s.With("ExeSys:Worker:MaxRunners", "1"));
        await _cluster.WaitForWorkersAsync(Bounded);
    }

    [OneTimeTearDown]
    public async Task Stop_the_processes()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_modulesFolder, recursive: true);
    }

    [TearDown]
    public async Task Stop_what_the_test_left_running()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _cluster.WriteLogsAsync();
        }

        foreach (var runner in await Client.RunnersAsync())
        {
            await Client.StopAsync(runner.From, runner.JobId);
        }
    }

    [Test]
    public async Task Should_hold_no_more_runners_than_its_bound_and_leave_the_rest_to_another_worker()
    {
        await Client.SubmitAsync(From, "first", "ticker", "100");
        await WaitForRunnersAsync(r => r.Count == 1 && r[0].JobId == "first", "the bounded worker to run the first runner");

        // The second runner is offered to the full worker again and again; it must keep handing it back.
        await Client.SubmitAsync(From, "second", "ticker", "100");
        var handedBack = new HashSet<string>(StringComparer.Ordinal);
        var mostHeld = 0;
        await Eventually.WaitForAsync(
            async () =>
            {
                var job = await Client.JobAsync(From, "second");
                var held = await Client.RunnersAsync();
                mostHeld = Math.Max(mostHeld, held.Count(r => r.Worker == Bounded));
                if (job.State == 1)
                {
                    handedBack.Add(job.Field("updated")!);
                }

                return job;
            },
            job => handedBack.Count >= 2 || job.State > 2,
            Timeout,
            "the bounded worker to hand the second runner back twice");

        var spare = _cluster.StartWorker("spare-worker");
        IReadOnlyList<RunnerRow> runners;
        Reply first, second;
        try
        {
            runners = await WaitForRunnersAsync(
                r => r.Count == 2 && r.Any(x => x.JobId == "first" && x.Worker == Bounded) && r.Any(x => x.JobId == "second" && x.Worker == "spare-worker"),
                "the second worker to take the second runner");
            await Client.StopAsync(From, "first");
            await Client.StopAsync(From, "second");
            first = await Client.JobAsync(From, "first", wait: "5s");
            second = await Client.JobAsync(From, "second", wait: "5s");
        }
        finally
        {
            // The other test needs the bounded worker alone.
            await spare.StopAsync(Timeout);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(mostHeld, Is.EqualTo(1), "the bounded worker never held two runners");
            Assert.That(handedBack, Has.Count.GreaterThanOrEqualTo(2), "the runner it had no room for waited, handed back");
            Assert.That(runners.Select(r => $"{r.JobId}@{r.Worker}"), Is.EquivalentTo(new[] { $"first@{Bounded}", "second@spare-worker" }), "one runner on each worker");
            Assert.That(first.State, Is.EqualTo(3), first.Text);
            Assert.That(second.State, Is.EqualTo(3), second.Text);
            Assert.That(second.Get("data").GetProperty("stopped").GetBoolean(), Is.True, second.Text);
            Assert.That(second.Attempts, Is.EqualTo(1), $"being handed back for want of room is not an attempt: {second.Text}");
        }
    }

    [Test]
    public async Task Should_end_a_runner_at_once_when_its_stop_came_before_it_started()
    {
        await Client.SubmitAsync(From, "blocker", "ticker", "100");
        await WaitForRunnersAsync(r => r.Count == 1 && r[0].JobId == "blocker", "the bounded worker to be full");

        // With the worker full, the runner is handed back: certainly not started when the stop comes.
        await Client.SubmitAsync(From, "early", "ticker", "50");
        var waiting = await Client.WaitForJobAsync(From, "early", r => r.State == 1, Timeout, "the early runner to be handed back");
        var stop = await Client.StopAsync(From, "early");
        await Client.StopAsync(From, "blocker");
        var blocker = await Client.JobAsync(From, "blocker", wait: "5s");
        var early = await Client.WaitForJobAsync(From, "early", r => r.State >= 3, Timeout, "the early-stopped runner to end");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting.Ticks(), Is.EqualTo(-1), $"the runner had published nothing before its stop: {waiting.Text}");
            Assert.That(stop.Get("applied").GetBoolean(), Is.True, stop.Text);
            Assert.That(blocker.State, Is.EqualTo(3), blocker.Text);
            Assert.That(early.State, Is.EqualTo(3), early.Text);
            Assert.That(early.Get("data").GetProperty("stopped").GetBoolean(), Is.True, early.Text);
            Assert.That(early.Get("data").GetProperty("ticks").GetInt32(), Is.Zero, "a runner stopped before it started ends at once, before its first 50 ms tick");
        }
    }

    private Task<IReadOnlyList<RunnerRow>> WaitForRunnersAsync(Func<IReadOnlyList<RunnerRow>, bool> isDone, string what) =>
        Eventually.WaitForAsync(Client.RunnersAsync, isDone, Timeout, what);
}
