using System.Diagnostics;
using System.Globalization;
using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// <c>CLIENT KILL TYPE pubsub</c> drops every subscription connection (the API's and the workers') and nothing else,
/// on a redis-server of the test's own with real API, worker and controller processes. Idle workers poll only every
/// 30 s and leases last 30 s, so only notifications can make a job finish quickly: long-polls still answer when their
/// job ends, and an idle worker still gets the jobs submitted right after the kill (handoffs and wake-ups recover).
/// </summary>
[TestFixture]
[Category("Fault")]
public sealed class Killing_the_pubsub_connections
{
    private const string From = "pubsub";
    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;
    private ExeSysDeployment _deployment = null!;

    [SetUp]
    public async Task Start_exesys_on_a_redis_of_its_own()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(15));
        _redis = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
        var settings = TestSettings.For(TestRedis.NewPrefix("pubsub"))
            .With("ExeSys:Redis:Connection", _server.Endpoint)
            .With("ExeSys:Worker:IdlePoll", "00:00:30")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:30");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_server.Endpoint, _redis)
            .WithWorker("w1", "w1").WithController("c1").WaitForRegistration().StartAsync();
        // Warm: the first job also proves the worker is idle-waiting for handoffs.
        var warm = await _deployment.PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command(From, "warm", "echo", "0"));
        Assert.That(warm.Status, Is.EqualTo(HttpStatusCode.OK), warm.Text);
    }

    [TearDown]
    public async Task Stop()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _deployment.WriteLogsAsync();
        }

        await _deployment.DisposeAsync();
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Should_answer_long_polls_and_hand_jobs_to_idle_workers_after_the_kill()
    {
        // A long-poll waiting on a job that ends after the kill.
        var clock = Stopwatch.StartNew();
        var longPoll = Task.Run(async () =>
        {
            var reply = await _deployment.PostAsync("/sys_cmd?wait=25s", SysCmdHttp.Command(From, "long", "sleep", "3000"));
            return (reply, answeredAt: clock.Elapsed);
        });
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var killed = await KillPubSubAsync();

        // Jobs submitted after the kill, to a worker that waits idle and polls only every 30 s. They start NoticeTime
        // after it: a handoff sent before the worker has even seen its socket close is lost with the socket, and that
        // job waits for its lease (the README's Guarantees say so). Once the worker has seen the drop, it is out of the
        // idle set, so the jobs queue, and it claims them when its subscription is back.
        var quick = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            await Task.Delay(NoticeTime + TimeSpan.FromMilliseconds(150 * i));
            var started = clock.Elapsed;
            var reply = await _deployment.PostAsync("/sys_cmd?wait=15s", SysCmdHttp.Command(From, $"after-{i.ToString(CultureInfo.InvariantCulture)}", "echo", i.ToString(CultureInfo.InvariantCulture)));
            return (reply, took: clock.Elapsed - started);
        }));
        var (polled, polledAfter) = await longPoll;

        // And once everything has reconnected, a second kill and a job after it.
        await KillPubSubAsync();
        await Task.Delay(NoticeTime);
        var again = await _deployment.PostAsync("/sys_cmd?wait=15s", SysCmdHttp.Command(From, "again", "echo", "7"));

        await TestContext.Out.WriteLineAsync($"killed {killed} pubsub clients; long-poll answered after {polledAfter.TotalSeconds:0.0} s; " +
            $"jobs after the kill: {string.Join(", ", quick.Select(q => $"{(int)q.reply.Status} in {q.took.TotalSeconds:0.0} s"))}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(killed, Is.GreaterThanOrEqualTo(2), "the API's and the worker's subscriptions were killed");
            Assert.That(polled.Status, Is.EqualTo(HttpStatusCode.OK), polled.Text);
            Assert.That(polledAfter, Is.LessThan(TimeSpan.FromSeconds(15)), "the long-poll answered when its job ended, not at its timeout");
            foreach (var (reply, took) in quick)
            {
                Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), $"an idle worker still gets a job submitted after the kill ({took.TotalSeconds:0.0} s): {reply.Text}");
            }

            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), again.Text);
        }
    }

    /// <summary>
    /// Time for a worker to see that Redis closed its subscription socket. A clean-clone CI run on a loaded 2-core box
    /// submitted a job in the same instant as the kill, before the worker had seen it, and that job waited for its lease.
    /// </summary>
    private static readonly TimeSpan NoticeTime = TimeSpan.FromMilliseconds(500);

    private async Task<long> KillPubSubAsync() => (long)await _redis.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
}
