using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// The issue's reproduction of a full Redis, on a redis-server of the test's own (noeviction): the API, a real
/// worker process and a real controller (processes), then <c>CONFIG SET maxmemory</c> a little above what Redis
/// uses, and submits of 3 KB each with <c>?wait=3s</c> until Redis refuses writes. Every submit is either refused
/// with 503 and Retry-After, or accepted; no 500. The worker stays in the registry, /health/ready says memory, and once
/// maxmemory is raised every accepted job finishes with its result at its first attempt, with no restart.
/// </summary>
[TestFixture]
[Category("Fault")]
public sealed class Filling_redis_to_its_maxmemory
{
    private const string From = "full";
    private static readonly int[] Answers = [200, 202, 503];
    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;
    private ExeSysDeployment _deployment = null!;

    [SetUp]
    public async Task Start_exesys_on_a_redis_of_its_own()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(15));
        _redis = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
        var settings = TestSettings.For(TestRedis.NewPrefix("full"))
            .With("ExeSys:Redis:Connection", _server.Endpoint)
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:03");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_server.Endpoint, _redis)
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
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Should_refuse_with_503_or_finish_each_submit_and_resume_when_there_is_room()
    {
        var db = _redis.GetDatabase();
        // The baseline holds what a first use leaves for good: the scripts a submit, a claim and a finish load into
        // Redis's script cache (each carries the shared Lua helpers, tens of KB in all). Measured before them, that
        // first load alone could take the 256 KB of room, and every submit of the first round was refused.
        var warm = await _deployment.PostAsync("/sys_cmd?wait=5s", SysCmdHttp.Command(From, "warm-up", "echo", "\"warm\""));
        Assert.That(warm.Status, Is.EqualTo(HttpStatusCode.OK), warm.Text);
        var used = UsedMemory(await db.ExecuteAsync("INFO", "memory"));
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", (used + 256 * 1024).ToString(CultureInfo.InvariantCulture));

        var payload = new string('x', 3000);
        var replies = new ConcurrentDictionary<string, Reply>(StringComparer.Ordinal);
        for (var round = 0; round < 40 && !replies.Values.Any(r => r.Status == HttpStatusCode.ServiceUnavailable); round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
            {
                var id = $"j{round.ToString("D2", CultureInfo.InvariantCulture)}-{i.ToString(CultureInfo.InvariantCulture)}";
                var data = new JsonObject { ["id"] = id, ["pad"] = payload }.ToJsonString();
                replies[id] = await _deployment.PostAsync($"/sys_cmd?wait=3s", SysCmdHttp.Command(From, id, "echo", data));
            }));
        }

        // Full: the worker's heartbeats (allow-oom) keep it in the registry past several heartbeat TTLs.
        await Task.Delay(TimeSpan.FromSeconds(2));
        // Still full for the health check: the refused requests' buffers are freed by now, and used_memory may have
        // dropped a few percent under the limit (seen: 91-94%), under the 95% at which /health/ready reports pressure.
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", UsedMemory(await db.ExecuteAsync("INFO", "memory")).ToString(CultureInfo.InvariantCulture));
        var ready = await _deployment.GetAsync("/health/ready");
        var functions = await _deployment.GetAsync("/functions");
        var refusedRead = await _deployment.GetJobAsync(From, replies.Keys.First());

        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
        var accepted = replies.Where(r => r.Value.Status is HttpStatusCode.OK or HttpStatusCode.Accepted).Select(r => r.Key).ToList();
        var ended = new Dictionary<string, Reply>(StringComparer.Ordinal);
        foreach (var id in accepted)
        {
            ended[id] = await _deployment.WaitForJobAsync(From, id, TimeSpan.FromSeconds(30));
        }

        var after = await _deployment.PostAsync("/sys_cmd?wait=5s", SysCmdHttp.Command(From, "after", "echo", "\"room\""));
        var readyAfter = await _deployment.GetAsync("/health/ready");

        var statuses = replies.Values.GroupBy(r => (int)r.Status).ToDictionary(g => g.Key, g => g.Count());
        await TestContext.Out.WriteLineAsync($"replies: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}; " +
            $"attempts of accepted jobs: {string.Join(", ", ended.Values.GroupBy(r => r.Get("attempts").GetInt32()).Select(g => $"{g.Key} x{g.Count()}"))}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Keys, Is.SubsetOf(Answers), "no 500, no other answer");
            Assert.That(statuses.GetValueOrDefault(503), Is.Positive, "Redis filled up: some submits were refused");
            Assert.That(replies.Values.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).Select(r => r.RetryAfter), Is.All.Not.Null.And.Not.Empty, "a 503 says when to retry");
            Assert.That(replies.Values.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).Select(r => r.Field("detail")), Is.All.Contain("full"));
            Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), ready.Text);
            Assert.That(ready.Get("memory").GetProperty("status").GetString(), Is.EqualTo("pressure"), ready.Text);
            Assert.That(ready.Get("workers").GetInt32(), Is.EqualTo(1), "the worker stays in the registry while Redis is full");
            Assert.That(functions.Text, Does.Contain("\"w1\""), "and keeps offering its functions");
            Assert.That(refusedRead.Status, Is.Not.EqualTo(HttpStatusCode.ServiceUnavailable), "reads still answer on a full Redis");
            foreach (var (id, reply) in ended)
            {
                Assert.That(reply.Get("state").GetInt32(), Is.EqualTo(3), $"{id}: accepted, so it finishes once there is room: {reply.Text}");
                Assert.That(reply.Get("data").GetProperty("id").GetString(), Is.EqualTo(id));
                Assert.That(reply.Get("attempts").GetInt32(), Is.EqualTo(1), $"{id}: at its first attempt (nothing half-done ran it again)");
            }

            Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK), $"resumes with no restart: {after.Text}");
            Assert.That(readyAfter.Status, Is.EqualTo(HttpStatusCode.OK), readyAfter.Text);
        }
    }

    private static long UsedMemory(RedisResult info) => long.Parse(((string)info!).Split('\n')
        .Single(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
}
