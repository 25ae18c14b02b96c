using System.Net;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Protocol;

/// <summary>
/// A Redis that answers but refuses writes: a primary turned replica (a failover, REPLICAOF: READONLY), one short of
/// the replicas its min-replicas-to-write asks for (NOREPLICAS), or a full one (OOM). Each is a 503 with Retry-After and
/// a reason, never a 500, nothing is accepted, and the API carries on once Redis takes writes again.
/// </summary>
[TestFixture]
public sealed class When_redis_refuses_writes
{
    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;
    private ExeSysApiFactory _api = null!;
    private HttpClient _client = null!;
    private InProcessWorker _worker = null!;

    [OneTimeSetUp]
    public async Task Start_the_api_on_a_redis_of_its_own()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(15));
        _redis = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
        var settings = TestSettings.For(TestRedis.NewPrefix("refuse")).With("ExeSys:Redis:Connection", _server.Endpoint);
        _api = new ExeSysApiFactory(settings);
        _client = _api.CreateClient();
        _worker = await InProcessWorker.StartAsync(settings, "refuse-worker");
        await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(_client, "/functions"), r => r.Text.Contains("\"echo\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the API to list the worker's functions");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _worker.DisposeAsync();
        await _api.DisposeAsync();
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [TearDown]
    public async Task Take_writes_again()
    {
        var db = _redis.GetDatabase();
        await db.ExecuteAsync("REPLICAOF", "NO", "ONE");
        await db.ExecuteAsync("CONFIG", "SET", "min-replicas-to-write", "0");
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
    }

    [TestCase("NOREPLICAS", "CONFIG", "SET", "min-replicas-to-write", "1")]
    [TestCase("OOM", "CONFIG", "SET", "maxmemory", "1")]
    public async Task Should_answer_503_with_Retry_After_and_accept_nothing(string refusal, params string[] command)
    {
        await _redis.GetDatabase().ExecuteAsync(command[0], command[1..]);
        await AssertRefusedThenAcceptedAsync(refusal);
    }

    [Test]
    public async Task Should_answer_503_when_its_primary_became_a_replica()
    {
        // A replica of a primary that is not there: it keeps its data and refuses every write with READONLY.
        await _redis.GetDatabase().ExecuteAsync("REPLICAOF", "127.0.0.1", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertRefusedThenAcceptedAsync("READONLY");
    }

    private async Task AssertRefusedThenAcceptedAsync(string refusal)
    {
        var id = $"{refusal}-{Guid.NewGuid():N}";
        var refused = await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("refuse", id, "echo", "1"));
        var batch = await SysCmdHttp.PostAsync(_client, $"[{SysCmdHttp.Command("refuse", id + "-b", "echo", "1")}]", configure: r => r.RequestUri = new Uri("/sys_cmd/batch", UriKind.Relative));
        await Take_writes_again();
        var keys = new RedisKeys(_api.Settings.Prefix);
        var stored = await _redis.GetDatabase().KeyExistsAsync([keys.Status(new JobRef("refuse", id)), keys.Status(new JobRef("refuse", id + "-b"))]);
        var accepted = await Eventually.WaitForAsync(
            () => SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("refuse", id, "echo", "1")),
            r => r.Status != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), "the API to take the command once Redis takes writes");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), refused.Text);
            Assert.That(refused.RetryAfter, Is.Not.Null.And.Not.Empty);
            Assert.That(refused.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(batch.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), batch.Text);
            Assert.That(stored, Is.Zero, "nothing was accepted");
            Assert.That(accepted.Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), accepted.Text);
        }
    }
}
