using System.Diagnostics;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// The built-in <c>ticker</c> runner on real processes: an API, a controller and two workers, with a short lease so
/// a killed worker's runner comes back quickly. Every test uses its own job ids and stops what it started.
/// </summary>
[TestFixture]
public sealed class Running_a_forever_runner
{
    private const string From = "runners";

    // ticker publishes {"ticks": n} every Period ms.
    private const string Period = "100";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(1);
    private static readonly string[] WorkerIds = ["runner-worker-a", "runner-worker-b"];

    private ExeSysDeployment _cluster = null!;
    private string _modulesFolder = null!;
    private readonly Dictionary<string, ExeSysProcess> _workers = new(StringComparer.Ordinal);

    private HttpClient Client => _cluster.Client;

    [OneTimeSetUp]
    public async Task Start_an_api_a_controller_and_two_workers()
    {
        _modulesFolder = Directory.CreateTempSubdirectory("exesys-no-modules-").FullName;
        var settings = TestSettings.For(TestRedis.NewPrefix("runners"))
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        _cluster = await ExeSysDeployment.Build(settings)
            .WithModulesFolder(_modulesFolder)
            .WithController("controller")
            .WithPlainClient(TimeSpan.FromSeconds(60))
            .StartAsync();
        foreach (var id in WorkerIds)
        {
            _workers[id] = _cluster.StartWorker(id);
        }

        await _cluster.WaitForWorkersAsync(WorkerIds);
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
    public async Task Should_publish_at_least_three_increasing_intermediate_results_while_it_runs()
    {
        await Client.SubmitAsync(From, "progress", "ticker", Period);

        var seen = new List<int>();
        await Client.WaitForJobAsync(From, "progress", r =>
        {
            if (r.State == 2 && r.Ticks() > 0 && (seen.Count == 0 || r.Ticks() > seen[^1]))
            {
                seen.Add(r.Ticks());
            }

            return seen.Count >= 3 || r.State > 2;
        }, Timeout, "three increasing intermediate results");
        var running = await Client.JobAsync(From, "progress");
        await Client.StopAsync(From, "progress");
        var done = await Client.JobAsync(From, "progress", wait: "10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen, Has.Count.GreaterThanOrEqualTo(3).And.Ordered.Ascending, "each read shows the latest intermediate result");
            Assert.That(running.State, Is.EqualTo(2), $"the job stays processing while the runner runs: {running.Text}");
            Assert.That(running.Resp, Is.EqualTo("processing"));
            Assert.That(running.Text, Does.Not.Contain("data_available"), "nothing in a running job's reply says data_available");
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetProperty("ticks").GetInt32(), Is.GreaterThanOrEqualTo(seen[^1]), done.Text);
        }
    }

    [Test]
    public async Task Should_end_in_state_3_within_a_second_of_a_stop_request()
    {
        await Client.SubmitAsync(From, "stopped", "ticker", Period);
        var running = await Client.WaitForJobAsync(From, "stopped", r => r.Ticks() >= 2, Timeout, "the runner to tick twice");

        var clock = Stopwatch.StartNew();
        var stop = await Client.StopAsync(From, "stopped");
        var done = await Client.JobAsync(From, "stopped", wait: "5s");
        var took = clock.Elapsed;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stop.Code, Is.EqualTo(200), stop.Text);
            Assert.That(stop.Get("applied").GetBoolean(), Is.True, stop.Text);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(took, Is.LessThan(StopWithin), "the runner observes a stop within a second");
            Assert.That(done.Get("data").GetProperty("stopped").GetBoolean(), Is.True, done.Text);
            Assert.That(done.Get("data").GetProperty("ticks").GetInt32(), Is.GreaterThanOrEqualTo(running.Ticks()), "the final EOJ is the runner's own");
        }
    }

    [Test]
    public async Task Should_stop_through_the_stop_runner_command()
    {
        await Client.SubmitAsync(From, "by-command", "ticker", Period);
        await Client.WaitForJobAsync(From, "by-command", r => r.Ticks() >= 1, Timeout, "the runner to tick");

        var clock = Stopwatch.StartNew();
        var command = await Client.SubmitAsync(From, "stop-by-command", "stop_runner", $$"""{"from":"{{From}}","job_id":"by-command"}""", wait: "5s");
        var done = await Client.JobAsync(From, "by-command", wait: "5s");
        var took = clock.Elapsed;
        var again = await Client.SubmitAsync(From, "stop-by-command-again", "stop_runner", $$"""{"from":"{{From}}","job_id":"by-command"}""", wait: "5s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(command.State, Is.EqualTo(3), command.Text);
            Assert.That(command.Get("data").GetProperty("stop").GetString(), Is.EqualTo("requested"), command.Text);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetProperty("stopped").GetBoolean(), Is.True, done.Text);
            Assert.That(took, Is.LessThan(StopWithin), "the stop command and the runner's end take under a second together");
            Assert.That(again.Get("data").GetProperty("stop").GetString(), Is.EqualTo("already_ended"), again.Text);
        }
    }

    [Test]
    public async Task Should_answer_applied_false_and_change_nothing_when_the_runner_has_already_ended()
    {
        await Client.SubmitAsync(From, "ended", "ticker", Period);
        await Client.WaitForJobAsync(From, "ended", r => r.State == 2, Timeout, "the runner to start");
        await Client.StopAsync(From, "ended");
        var done = await Client.JobAsync(From, "ended", wait: "5s");

        var late = await Client.StopAsync(From, "ended");
        var after = await Client.JobAsync(From, "ended");
        var unknown = await Client.StopAsync(From, "never-submitted");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(late.Code, Is.EqualTo(200), late.Text);
            Assert.That(late.Get("applied").GetBoolean(), Is.False, late.Text);
            Assert.That(after.Text, Is.EqualTo(done.Text), "a late stop leaves the finished job as it was");
            Assert.That(unknown.Code, Is.EqualTo(404), unknown.Text);
        }
    }

    [Test]
    public async Task Should_be_restarted_by_another_worker_when_its_worker_is_killed()
    {
        await Client.SubmitAsync(From, "survivor", "ticker", Period);
        var holder = (await Eventually.WaitForAsync(
            Client.RunnersAsync,
            runners => runners.Any(r => r.JobId == "survivor"),
            Timeout,
            "a worker to hold the runner")).Single(r => r.JobId == "survivor").Worker;
        await Client.WaitForJobAsync(From, "survivor", r => r.Ticks() >= 2, Timeout, "the runner to tick on its first worker");
        var other = WorkerIds.Single(id => id != holder);
        Assert.That(_workers[other].HasExited, Is.False, "this test needs a second live worker");

        _workers[holder].Crash();
        await _workers[holder].WaitForExitAsync(Timeout);
        var clock = Stopwatch.StartNew();
        var restarted = await Client.WaitForJobAsync(From, "survivor", r => r.State == 2 && r.Attempts == 2, Timeout, "another worker to restart the runner");
        var tookOver = clock.Elapsed;
        var runners = await Eventually.WaitForAsync(
            Client.RunnersAsync,
            all => all.Where(r => r.JobId == "survivor").Select(r => r.Worker).SequenceEqual([other]),
            Timeout,
            $"/runners to show the runner on {other} only");
        var before = (await Client.WaitForJobAsync(From, "survivor", r => r.Attempts == 2 && r.Ticks() >= 1, Timeout, "the restarted runner to tick")).Ticks();
        var advanced = await Client.WaitForJobAsync(From, "survivor", r => r.Ticks() > before, Timeout, "the restarted runner's progress to advance");

        await Client.StopAsync(From, "survivor");
        var done = await Client.JobAsync(From, "survivor", wait: "5s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(restarted.Attempts, Is.EqualTo(2), restarted.Text);
            Assert.That(runners.Single(r => r.JobId == "survivor").Worker, Is.EqualTo(other));
            Assert.That(advanced.Ticks(), Is.GreaterThan(before));
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetProperty("stopped").GetBoolean(), Is.True, done.Text);
            Assert.That(done.Attempts, Is.EqualTo(2), done.Text);
        }

        await TestContext.Out.WriteLineAsync($"The runner was running again on {other} {tookOver.TotalSeconds:0.0}s after {holder} was killed (lease 2s).");
    }
}
