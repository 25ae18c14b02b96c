using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Processes;

/// <summary>
/// A Redis whose maxmemory-policy evicts keys would silently drop jobs, queue entries and tombstones, so every process
/// refuses to run on it (exit code 2, a message naming the policy and the setting), unless
/// ExeSys:Redis:AllowEviction says otherwise, and then it runs with a loud warning. Also when Redis only comes up
/// after the process started.
/// </summary>
[TestFixture]
public sealed class Starting_on_a_redis_that_evicts_keys
{
    private RedisServer _evicting = null!;
    private ProcessSet _processes = null!;

    [OneTimeSetUp]
    public async Task Start_a_redis_under_allkeys_lru() =>
        _evicting = await RedisServer.StartAsync(TimeSpan.FromSeconds(15), _ => ["--maxmemory-policy", "allkeys-lru"]);

    [OneTimeTearDown]
    public async Task Stop_it() => await _evicting.DisposeAsync();

    [SetUp]
    public void Create() => _processes = new ProcessSet();

    [TearDown]
    public async Task Stop() => await _processes.DisposeAsync();

    [TestCase(ExeSysRole.Api)]
    [TestCase(ExeSysRole.Worker)]
    [TestCase(ExeSysRole.Controller)]
    public async Task Should_refuse_to_start_naming_the_policy_and_the_setting(ExeSysRole role)
    {
        var process = _processes.Start(role, $"{role}-evicting", Settings(_evicting.Endpoint));

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), process.Output);
            Assert.That(process.Output, Does.Contain("ExeSys cannot start"));
            Assert.That(process.Output, Does.Contain("maxmemory-policy allkeys-lru"), "the message names the policy");
            Assert.That(process.Output, Does.Contain("ExeSys:Redis:AllowEviction"), "and the setting that overrides it");
        }
    }

    [Test]
    public async Task Should_run_with_a_loud_warning_when_the_setting_allows_eviction()
    {
        var settings = Settings(_evicting.Endpoint).With("ExeSys:Redis:AllowEviction", "true");
        var api = _processes.Start(ExeSysRole.Api, "api-allowed", settings);

        await Eventually.WaitForAsync(
            async () => api.HasExited ? throw new InvalidOperationException(api.Output) : (await ReadyAsync(settings)) is 200,
            TimeSpan.FromSeconds(60), "the API to answer /health/ready");

        Assert.That(api.Output, Does.Contain("WARNING: Redis").And.Contain("allkeys-lru").And.Contain("AllowEviction=true"));
    }

    [Test]
    public async Task Should_stop_once_a_redis_it_could_not_reach_at_start_turns_out_to_evict()
    {
        var port = FreePort.Next();
        var worker = _processes.Start(ExeSysRole.Worker, "worker-late-redis", Settings($"127.0.0.1:{port}"));
        await Eventually.WaitForAsync(
            () => Task.FromResult(worker.HasExited ? throw new InvalidOperationException(worker.Output) : worker.Output.Contains("checked once it connects", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the worker to start without Redis");

        await using var late = await RedisServer.StartOnPortAsync(port, TimeSpan.FromSeconds(15), ["--maxmemory-policy", "volatile-lru"]);
        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), worker.Output);
            Assert.That(worker.Output, Does.Contain("ExeSys cannot run").And.Contain("maxmemory-policy volatile-lru"));
        }
    }

    private static TestSettings Settings(string redis) => TestSettings.For(TestRedis.NewPrefix("evict"))
        .With("ExeSys:Redis:Connection", redis)
        .With("ExeSys:Redis:ConnectTimeoutMs", "500")
        .With("ExeSys:Api:Urls", $"http://127.0.0.1:{FreePort.Next()}");

    private static async Task<int> ReadyAsync(TestSettings settings)
    {
        using var client = new HttpClient { BaseAddress = new Uri(settings.Values["ExeSys:Api:Urls"]!), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return (int)(await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
