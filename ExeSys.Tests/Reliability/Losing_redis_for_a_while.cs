using System.Diagnostics;
using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Redis goes away under running ExeSys processes: stopped (connections refused) or hung (SIGSTOP: connections open,
/// nothing answers). The API must answer at once with 503 and Retry-After rather than hang its clients, say so on
/// /health/ready, and when Redis is back every process carries on by itself: nothing is restarted.
/// The Redis timeouts are the product defaults, so the measured answer time is the one users get.
/// </summary>
[TestFixture]
public sealed class Losing_redis_for_a_while
{
    /// <summary>The issue's bound for a stopped Redis: refused connections fail at once.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A hung Redis answers nothing, so the API waits out OperationTimeoutMs (1 s). StackExchange.Redis checks for
    /// timed-out commands on its 1 s heartbeat, so the 503 comes after 1 to 2 s; the bound adds room for a loaded machine.
    /// </summary>
    private static readonly TimeSpan HungAnswerWithin = TimeSpan.FromSeconds(3);
    private PersistentRedis _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private ExeSysDeployment _deployment = null!;
    private ExeSysProcess[] _services = [];

    [SetUp]
    public async Task Start_exesys_on_a_redis_of_its_own()
    {
        _redis = await PersistentRedis.StartAsync();
        _connection = await _redis.ConnectAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("outage"))
            .With("ExeSys:Redis:ConnectTimeoutMs", "2000")
            .With("ExeSys:Redis:OperationTimeoutMs", "1000")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_redis.Endpoint, _connection).StartAsync();
        var worker = _deployment.StartWorker("outage-worker");
        var controller = _deployment.StartController("outage-controller");
        await _deployment.WaitForWorkerAsync(worker);
        await _deployment.WaitForControllerAsync(controller);
        _services = [_deployment.Api, worker, controller];
    }

    [TearDown]
    public async Task Stop_everything()
    {
        await _deployment.DisposeAsync();
        await _connection.DisposeAsync();
        await _redis.StopAfterTestAsync();
    }

    [Test]
    public async Task Should_answer_503_at_once_while_redis_is_stopped_and_resume_when_it_is_back()
    {
        var pids = _services.Select(p => p.Pid).ToArray();
        var before = await CompleteAsync("before-stop", "\"accepted before the outage\"");
        // A job that is running when Redis goes: its worker must record the result, or lose the lease, after Redis returns.
        var running = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("outage", "running-through-stop", "sleep", "1500"));
        Assert.That(running.Code, Is.EqualTo(202), running.Text);
        await Eventually.WaitForAsync(() => _deployment.StatusAsync("outage", "running-through-stop"), s => s.GetValueOrDefault("st") == "2",
            TimeSpan.FromSeconds(30), "the sleep job to start");

        await _redis.ShutdownAsync();
        List<(Reply Reply, TimeSpan Took)> answers;
        Reply ready, read, malformed;
        try
        {
            answers = await AnswersWhileDownAsync("while-stopped", TimeSpan.Zero);
            ready = await SysCmdHttp.GetAsync(_deployment.Client, "/health/ready");
            read = await _deployment.GetJobAsync("outage", "before-stop");
            malformed = await SysCmdHttp.PostAsync(_deployment.Client, "{not json");
        }
        finally
        {
            await _redis.StartAgainAsync();
        }

        await TestContext.Out.WriteLineAsync($"Redis stopped: {Summary(answers)}");
        AssertFast503s(answers, AnswerWithin);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), ready.Text);
            Assert.That(ready.Field("status"), Is.EqualTo("unhealthy"));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), read.Text);
            Assert.That(malformed.Status, Is.EqualTo(HttpStatusCode.BadRequest), "bad input is still answered 400: " + malformed.Text);
        }

        await AssertEverythingResumesAsync(pids, "after-stop");
        var survived = await _deployment.GetJobAsync("outage", "before-stop");
        var ranThrough = await _deployment.WaitForJobAsync("outage", "running-through-stop", r => r.Code == 200 && r.State == 3,
            TimeSpan.FromSeconds(30), "the job that was running during the outage to finish");
        await TestContext.Out.WriteLineAsync($"The job running through the outage finished after {ranThrough.Attempts} attempt(s).");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(survived.State, Is.EqualTo(3), "the AOF kept the finished job");
            Assert.That(survived.Get("data").GetString(), Is.EqualTo(before.Get("data").GetString()));
            Assert.That(ranThrough.Get("data").GetProperty("slept_ms").GetInt32(), Is.EqualTo(1500));
        }
    }

    [Test]
    public async Task Should_answer_503_at_once_while_redis_hangs_and_resume_when_it_wakes()
    {
        var pids = _services.Select(p => p.Pid).ToArray();
        await CompleteAsync("before-freeze", "1");

        _redis.Freeze();
        List<(Reply Reply, TimeSpan Took)> answers;
        Reply ready;
        try
        {
            // Long enough for StackExchange.Redis to give up on the connection and reconnect, as in a real stall.
            answers = await AnswersWhileDownAsync("while-frozen", TimeSpan.FromSeconds(8));
            ready = await SysCmdHttp.GetAsync(_deployment.Client, "/health/ready");
        }
        finally
        {
            _redis.Thaw();
        }

        await TestContext.Out.WriteLineAsync($"Redis hung: {Summary(answers)}");
        AssertFast503s(answers, HungAnswerWithin);
        Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), ready.Text);
        await AssertEverythingResumesAsync(pids, "after-freeze");
    }

    /// <summary>New commands one after another, at least three and for at least <paramref name="outage"/>; each answer and how long it took.</summary>
    private async Task<List<(Reply, TimeSpan)>> AnswersWhileDownAsync(string jobId, TimeSpan outage)
    {
        var answers = new List<(Reply, TimeSpan)>();
        var down = Stopwatch.StartNew();
        for (var i = 0; i < 3 || down.Elapsed < outage; i++)
        {
            var clock = Stopwatch.StartNew();
            var reply = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("outage", $"{jobId}-{i}", "echo", "1"));
            answers.Add((reply, clock.Elapsed));
        }

        return answers;
    }

    private static string Summary(List<(Reply Reply, TimeSpan Took)> answers) =>
        $"/sys_cmd answered {answers.Count} commands ({string.Join(", ", answers.GroupBy(a => (int)a.Reply.Status).Select(g => $"{g.Count()} x {g.Key}"))}), " +
        $"the slowest in {answers.Max(a => a.Took).TotalMilliseconds:0} ms; the first ones in " +
        string.Join(", ", answers.Take(3).Select(a => $"{a.Took.TotalMilliseconds:0} ms"));

    private static void AssertFast503s(List<(Reply Reply, TimeSpan Took)> answers, TimeSpan within)
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var (reply, took) in answers)
            {
                Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), reply.Text);
                Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
                Assert.That(reply.RetryAfter, Is.Not.Null.And.Not.Empty, "a 503 says when to retry");
                Assert.That(took, Is.LessThan(within), "the API must not hang its client while Redis is away");
            }
        }
    }

    /// <summary>Without restarting anything: /health/ready recovers and a brand-new job runs to the end.</summary>
    private async Task AssertEverythingResumesAsync(int[] pids, string jobId)
    {
        var clock = Stopwatch.StartNew();
        var done = await Eventually.WaitForAsync(
            () =>
            {
                ThrowIfAServiceDied();
                return SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("outage", jobId, "echo", "\"back\""), "?wait=2s");
            },
            r => r.Code == 200 && r.State == 3,
            TimeSpan.FromSeconds(30),
            "a new job to complete after Redis came back");
        await TestContext.Out.WriteLineAsync($"A new job completed {clock.Elapsed.TotalSeconds:0.0} s after Redis came back.");
        var ready = await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(_deployment.Client, "/health/ready"),
            r => r.Code == 200 && r.Get("workers").GetInt32() >= 1 && r.Get("controllers").GetInt32() >= 1,
            TimeSpan.FromSeconds(30),
            "/health/ready to show the worker and the controller again");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.Get("data").GetString(), Is.EqualTo("back"));
            Assert.That(ready.Field("status"), Is.EqualTo("healthy"));
            Assert.That(_services.Select(p => p.HasExited), Is.All.False, "no ExeSys process died");
            Assert.That(_services.Select(p => p.Pid), Is.EqualTo(pids), "no ExeSys process was restarted");
        }
    }

    private void ThrowIfAServiceDied()
    {
        if (_services.FirstOrDefault(p => p.HasExited) is { } dead)
        {
            var lines = dead.Output.Split('\n');
            throw new InvalidOperationException(
                $"{dead.Name} exited (code {dead.ExitCode}) instead of riding out the outage:{Environment.NewLine}{string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40)))}");
        }
    }

    private async Task<Reply> CompleteAsync(string jobId, string dataJson)
    {
        var reply = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("outage", jobId, "echo", dataJson), "?wait=10s");
        Assert.That(reply.State, Is.EqualTo(3), reply.Text);
        return reply;
    }
}
