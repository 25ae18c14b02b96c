using ExeSys.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The API's real pipeline on a test server plus, optionally, an in-process worker, both on the test Redis under a
/// prefix of their own. Ready means: the API hears job completions (its done-channel subscription is live) and,
/// with a worker, the API knows the worker's functions, so no test races the start-up.
/// </summary>
public sealed class ApiEnvironment : IAsyncDisposable
{
    private ApiEnvironment(TestSettings settings, ExeSysApiFactory api, HttpClient client, InProcessWorker? worker)
    {
        Settings = settings;
        Api = api;
        Client = client;
        Worker = worker;
    }

    public TestSettings Settings { get; }

    public string Prefix => Settings.Prefix;

    public ExeSysApiFactory Api { get; }

    public HttpClient Client { get; }

    public InProcessWorker? Worker { get; }

    /// <summary>The API's own job client, for setting up and inspecting jobs.</summary>
    public IJobClient Jobs => Api.Services.GetRequiredService<IJobClient>();

    public static async Task<ApiEnvironment> StartAsync(TestSettings settings, bool withWorker)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var api = new ExeSysApiFactory(settings);
        var client = api.CreateClient();
        // With keys required by a configured bootstrap key, the environment's own client uses it.
        if (settings.Values.TryGetValue("ExeSys:Auth:BootstrapKey", out var key) && key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        var worker = withWorker ? await Step("starting the in-process worker", () => InProcessWorker.StartAsync(settings, $"worker-{settings.Prefix}")) : null;
        var environment = new ApiEnvironment(settings, api, client, worker);

        var done = $"{settings.Prefix}:events:done";
        await Step("waiting for the API to subscribe", () => Eventually.WaitForAsync(
            async () => await SubscriberCountAsync(done) >= 1, done => done,
            TimeSpan.FromSeconds(30), "the API to subscribe to job completions"));
        if (withWorker)
        {
            await Step("waiting for the worker's functions", () => Eventually.WaitForAsync(
                () => SysCmdHttp.GetAsync(client, "/functions"),
                r => r.Text.Contains("\"test_error_cmd\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "the API to list the worker's functions"));
        }

        return environment;
    }

    /// <summary>A failed start says which step failed: a bare "A task was canceled" in CI said nothing on its own.</summary>
    private static async Task<T> Step<T>(string what, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            throw new InvalidOperationException($"Starting the test environment failed while {what}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>PUBSUB NUMSUB: how many connections listen on a channel.</summary>
    public static async Task<long> SubscriberCountAsync(string channel)
    {
        var reply = (RedisResult[])(await TestRedis.Connection.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)reply[1];
    }

    public Task<KeyspaceSnapshot> SnapshotAsync(bool jobsOnly = false) =>
        KeyspaceSnapshot.TakeAsync(TestRedis.Connection, Prefix, jobsOnly ? KeyspaceSnapshot.IsJobState : null);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        await Api.DisposeAsync();
    }
}
