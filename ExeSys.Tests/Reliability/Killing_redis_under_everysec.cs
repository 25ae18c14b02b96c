using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Redis killed with SIGKILL under <c>appendfsync everysec</c> (what start_exe_sys.sh runs), then started again from
/// its AOF, under real API, worker and controller processes. What the README's Durability promises: a Redis crash
/// keeps every write it acknowledged (the OS has written the AOF even if it has not fsynced it), except when a slow
/// disk delayed the AOF write, by at most about two seconds. So every job that got a 200 with its result more than two
/// seconds before the kill is still there with that result, and every other one is still there, or is run again
/// by a re-send or by lease recovery, and ends with its result.
/// </summary>
[TestFixture]
[Category("Fault")]
public sealed class Killing_redis_under_everysec
{
    private const string From = "everysec";
    private static readonly TimeSpan LossBound = TimeSpan.FromSeconds(2);
    private PersistentRedis _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private ExeSysDeployment _deployment = null!;

    [SetUp]
    public async Task Start_exesys_on_an_everysec_redis()
    {
        _redis = await PersistentRedis.StartAsync(appendfsync: "everysec");
        _connection = await _redis.ConnectAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("everysec"))
            .With("ExeSys:Redis:Connection", _redis.Endpoint)
            .With("ExeSys:Redis:OperationTimeoutMs", "2000")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_redis.Endpoint, _connection)
            .WithWorker("w1", "w1").WithController("c1").WaitForRegistration().StartAsync();
    }

    [TearDown]
    public async Task Stop()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _deployment.WriteLogsAsync();
        }

        await _deployment.DisposeAsync();
        await _connection.DisposeAsync();
        await _redis.StopAfterTestAsync();
    }

    [Test]
    public async Task Should_keep_every_acknowledged_result_but_the_last_seconds_and_heal_those()
    {
        var clock = Stopwatch.StartNew();
        var finished = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
        // Settled: more than the loss bound before the kill. Then a burst right up to the kill.
        await SubmitAsync("old", 60, finished, clock);
        await Task.Delay(LossBound + TimeSpan.FromSeconds(1));
        await SubmitAsync("new", 60, finished, clock);
        var killedAt = clock.Elapsed;
        await _redis.KillAsync();
        await _redis.StartAgainAsync();

        var intact = new List<string>();
        var healed = new List<string>();
        var broken = new List<string>();
        foreach (var (id, at) in finished)
        {
            var reply = await Eventually.WaitForAsync(
                () => _deployment.GetJobAsync(From, id), r => r.Status != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the API to read again");
            if (reply.Status == HttpStatusCode.OK && reply.Get("state").GetInt32() == 3 && reply.Get("data").GetString() == id)
            {
                intact.Add(id);
                continue;
            }

            // Lost (404: its submit was lost; re-sent) or not finished (its finish was lost; run again after its lease).
            var resent = await _deployment.PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command(From, id, "echo", $"\"{id}\""));
            var ended = resent.Status == HttpStatusCode.OK ? resent : await _deployment.WaitForJobAsync(From, id, TimeSpan.FromSeconds(30));
            (killedAt - at > LossBound ? broken : healed).Add($"{id} ({reply.Status}, {(killedAt - at).TotalSeconds:0.00} s before the kill) -> {ended.Get("state")}");
            if (ended.Get("state").GetInt32() != 3 || ended.Get("data").GetString() != id)
            {
                broken.Add($"{id}: did not heal: {ended.Text}");
            }
        }

        await TestContext.Out.WriteLineAsync($"acknowledged: {finished.Count}; intact after kill -9: {intact.Count}; lost in the last {LossBound.TotalSeconds} s and healed: {healed.Count} {string.Join("; ", healed)}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished, Has.Count.EqualTo(120), "every submit was answered with its result before the kill");
            Assert.That(broken, Is.Empty, "lost beyond the documented bound, or not healed by a re-send");
            Assert.That(_redis.Starts, Is.EqualTo(2));
        }
    }

    private async Task SubmitAsync(string batch, int count, ConcurrentDictionary<string, TimeSpan> finished, Stopwatch clock) =>
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async lane =>
        {
            for (var i = lane; i < count; i += 8)
            {
                var id = $"{batch}-{i.ToString("D3", CultureInfo.InvariantCulture)}";
                var reply = await _deployment.PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command(From, id, "echo", $"\"{id}\""));
                if (reply.Status == HttpStatusCode.OK && reply.Get("data").GetString() == id)
                {
                    finished[id] = clock.Elapsed;
                }
            }
        }));
}
