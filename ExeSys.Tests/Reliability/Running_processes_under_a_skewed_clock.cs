using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// One API or worker whose machine's clock is a minute off (a real process under faketime) must change nothing:
/// priorities, retry backoffs, wait_event and its timeout behave as with a correct clock, because every time one process
/// writes and another (or a script's Redis TIME) compares comes from Redis's clock (RedisTime). The fixture runs a
/// correct API and controller, an API 60 s behind and an API 60 s ahead, all on one prefix; each test starts the
/// worker it needs, which stops with the test.
/// </summary>
[TestFixture]
public sealed partial class Running_processes_under_a_skewed_clock
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private ExeSysDeployment _correct = null!;
    private ExeSysDeployment _behind = null!;
    private ExeSysDeployment _ahead = null!;
    private ExeSysProcess? _worker;

    [OneTimeSetUp]
    public async Task Start_a_correct_api_and_controller_and_two_skewed_apis()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("skew"));
        _correct = await ExeSysDeployment.Build(settings).WithApiProcess("api-correct").WithController("controller-correct").StartAsync();
        _behind = await ExeSysDeployment.Build(settings.OffBy(-Skew)).WithApiProcess("api-60s-behind").StartAsync();
        _ahead = await ExeSysDeployment.Build(settings.OffBy(Skew)).WithApiProcess("api-60s-ahead").StartAsync();
    }

    /// <summary>Each test's worker stops with the test, passed or failed, so none runs the next test's jobs.</summary>
    [TearDown]
    public async Task Stop_the_tests_worker()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync(TimeSpan.FromSeconds(10));
            _worker = null;
        }
    }

    [OneTimeTearDown]
    public async Task Stop_everything()
    {
        await _ahead.DisposeAsync();
        await _behind.DisposeAsync();
        await _correct.DisposeAsync();
    }

    [Test]
    public async Task Should_run_a_high_job_from_a_correct_api_before_a_normal_job_sent_earlier_by_an_api_60_s_behind()
    {
        var worker = await StartWorkerAsync("prio-worker", offset: null, concurrency: 1);
        var from = NewId("prio");
        await BlockAsync(from);

        // FIFO alone would run the normal job first; priority says the high one, 30 s (PriorityAging) ahead.
        var normal = await SysCmdHttp.PostAsync(_behind.Client, SysCmdHttp.Command(from, "normal", "sleep", "100", priority: "normal"));
        var high = await SysCmdHttp.PostAsync(_correct.Client, SysCmdHttp.Command(from, "high", "sleep", "100", priority: "high"));
        Assert.That((normal.Code, high.Code), Is.EqualTo((202, 202)), normal.Text + high.Text);
        await _correct.WaitForJobAsync(from, "normal");
        await _correct.WaitForJobAsync(from, "high");
        var (startedNormal, startedHigh) = (await StartedAsync(from, "normal"), await StartedAsync(from, "high"));

        Assert.That(startedHigh, Is.LessThan(startedNormal), "the high job starts first");
        AssertRunsOff(_behind.Api, -Skew);
    }

    [Test]
    public async Task Should_deliver_an_event_posted_by_an_api_60_s_behind_to_a_job_that_starts_waiting_after_the_post()
    {
        var worker = await StartWorkerAsync("event-worker-a", offset: null, concurrency: 1);
        await AssertWaitEventTakesAnEventPostedBeforeItWaitsAsync(creator: _correct, poster: _behind);
        AssertRunsOff(_behind.Api, -Skew);
    }

    [Test]
    public async Task Should_deliver_an_event_posted_by_a_correct_api_to_a_job_created_by_an_api_60_s_ahead()
    {
        var worker = await StartWorkerAsync("event-worker-b", offset: null, concurrency: 1);
        await AssertWaitEventTakesAnEventPostedBeforeItWaitsAsync(creator: _ahead, poster: _correct);
        AssertRunsOff(_ahead.Api, Skew);
    }

    [Test]
    public async Task Should_time_out_a_wait_event_on_a_worker_60_s_ahead_after_its_timeout_not_a_minute_late()
    {
        var worker = await StartWorkerAsync("timeout-worker", offset: Skew, concurrency: null);
        var from = NewId("timeout");
        var clock = Stopwatch.StartNew();
        var sent = await SysCmdHttp.PostAsync(_correct.Client, SysCmdHttp.Command(from, "waits", "wait_event", """{"event":"never-posted","timeout_ms":1500}"""));
        Assert.That(sent.Code, Is.EqualTo(202), sent.Text);

        var failed = await _correct.WaitForJobAsync(from, "waits", r => r.State == 4, Within, "the wait to time out");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.Field("error"), Does.Contain("within 1500 ms"), failed.Text);
            Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(1.4)), "not before its timeout either");
        }

        AssertRunsOff(worker, Skew);
    }

    [TestCase(-60)]
    [TestCase(60)]
    public async Task Should_retry_a_node_on_a_skewed_worker_after_its_backoff(int offsetSeconds)
    {
        var offset = TimeSpan.FromSeconds(offsetSeconds);
        var worker = await StartWorkerAsync(offsetSeconds < 0 ? "retry-worker-behind" : "retry-worker-ahead", offset, concurrency: null);
        var (from, id) = (NewId("retry"), NewId("run"));
        // Attempt 1 times out after 100 ms; attempt 2 is due 2 s (±20%) later, on Redis's clock.
        var run = $$"""
            {"from": "{{from}}", "job_id": "{{id}}", "nodes": {
              "slow": {"cmd": "sleep", "data": 10000, "timeout": "100ms", "retry": {"max_attempts": 2, "backoff": "2s"}, "next": ["end_job"]} } }
            """;
        var sent = await _correct.PostAsync("/workflows", run);
        Assert.That(sent.Code, Is.EqualTo(202), sent.Text);

        await Eventually.WaitForAsync(() => _correct.StatusAsync("slow", id), s => s.GetValueOrDefault("st") == "1" && s.GetValueOrDefault("at") == "1",
            Within, "attempt 1 to time out and wait for its retry");
        var failedAt = await RedisNowAsync();
        await Eventually.WaitForAsync(() => _correct.StatusAsync("slow", id), s => s.GetValueOrDefault("at") == "2", Within, "attempt 2 to start");
        var retriedAfter = await RedisNowAsync() - failedAt;

        Assert.That(retriedAfter, Is.InRange(TimeSpan.FromSeconds(1.3), TimeSpan.FromSeconds(6)), "the backoff is 2 s ±20%, on Redis's clock");
        AssertRunsOff(worker, offset);
        await _correct.WaitForJobAsync(from, id, r => r.State == 4, Within, "the run to end after its last attempt");
    }

    /// <summary>
    /// A wait_event job is created by <paramref name="creator"/> while the queue is paused, the event is posted by
    /// <paramref name="poster"/> before the job runs (so it is found among the retained posts, by time), then the queue
    /// is resumed and the job must take it. Pausing holds the job in state 0 whatever the load; a 4 s blocker on a
    /// concurrency-1 worker did not always (on a loaded CI box the blocker ended first, and the job started at once).
    /// </summary>
    private async Task AssertWaitEventTakesAnEventPostedBeforeItWaitsAsync(ExeSysDeployment creator, ExeSysDeployment poster)
    {
        var from = NewId("events");
        var name = NewId("paid");
        var paused = await _correct.PostAsync("/queues/default/pause", "");
        Assert.That(paused.Code, Is.EqualTo(200), paused.Text);
        Reply created, posted;
        try
        {
            created = await SysCmdHttp.PostAsync(creator.Client, SysCmdHttp.Command(from, "waits", "wait_event", $"\"{name}\""));
            posted = await poster.PostAsync("/events", $$"""{"event": "{{name}}", "data": {"order": 42} }""");
        }
        finally
        {
            var resumed = await _correct.PostAsync("/queues/default/resume", "");
            Assert.That(resumed.Code, Is.EqualTo(200), resumed.Text);
        }

        Assert.That((created.Code, created.State, posted.Code), Is.EqualTo((202, 0, 200)), created.Text + posted.Text);

        var done = await _correct.WaitForJobAsync(from, "waits", r => r.State is 3 or 4, Within, "the wait_event job to take the event");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetProperty("event").GetString(), Is.EqualTo(name), done.Text);
        }
    }

    /// <summary>
    /// Keeps the test's concurrency-1 worker busy for 4 s, so the jobs sent next wait on the queue. 1.5 s was too short
    /// on a loaded 2-core CI box: the blocker had ended before the next job was sent, and an idle worker took that job.
    /// </summary>
    private async Task BlockAsync(string from)
    {
        var blocker = await SysCmdHttp.PostAsync(_correct.Client, SysCmdHttp.Command(from, "blocker", "sleep", "4000"));
        Assert.That(blocker.Code, Is.EqualTo(202), blocker.Text);
        await _correct.WaitForJobAsync(from, "blocker", r => r.State == 2, Within, "the blocker to run");
    }

    private async Task<ExeSysProcess> StartWorkerAsync(string id, TimeSpan? offset, int? concurrency)
    {
        var worker = _correct.StartWorker(id, s =>
        {
            var settings = concurrency is { } c ? s.With("ExeSys:Worker:Concurrency", c.ToString(CultureInfo.InvariantCulture)) : s;
            return offset is { } o ? settings.OffBy(o) : settings;
        });
        _worker = worker;
        foreach (var api in new[] { _correct, _behind, _ahead })
        {
            await api.WaitForWorkerAsync(worker);
        }

        return worker;
    }

    private async Task<long> StartedAsync(string from, string jobId) =>
        long.Parse((await _correct.StatusAsync(from, jobId))["sa"], CultureInfo.InvariantCulture);

    private async Task<DateTimeOffset> RedisNowAsync() =>
        new(DateTime.SpecifyKind(await _correct.Redis.GetServers()[0].TimeAsync(), DateTimeKind.Utc));

    /// <summary>The process really ran off the true time: it measured Redis's clock that far from its own.</summary>
    private static void AssertRunsOff(ExeSysProcess process, TimeSpan machineOffset)
    {
        var measured = OffsetLine().Match(process.Output);
        Assert.That(measured.Success, Is.True, $"{process.Name} logs the offset it follows: {process.Output}");
        var redisAhead = TimeSpan.FromMilliseconds(double.Parse(measured.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.That(redisAhead, Is.EqualTo(-machineOffset).Within(TimeSpan.FromSeconds(2)), process.Name);
    }

    private static string NewId(string hint) => string.Create(CultureInfo.InvariantCulture, $"{hint}-{Guid.NewGuid():N}");

    [GeneratedRegex(@"Following Redis's clock: it is (-?[0-9.]+) ms ahead")]
    private static partial Regex OffsetLine();
}
