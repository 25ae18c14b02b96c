using System.Globalization;
using System.Text.Json;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure.Deployment;

/// <summary>
/// ExeSys as it is deployed: a real API process, controllers and workers (each a <c>dotnet ExeSys.X.dll</c> of its
/// own), all on one Redis under one key prefix, plus an HTTP client on the API and a Redis connection for looking
/// at the state the processes leave behind.
/// </summary>
internal sealed class ExeSysDeployment : IAsyncDisposable
{
    /// <summary>
    /// How long a real process may take to start and show up. Generous: a cold <c>dotnet</c> start on a loaded
    /// 2-core machine has been seen to take over 10 seconds; every wait ends as soon as the process is there.
    /// </summary>
    public static readonly TimeSpan ProcessStartTimeout = TimeSpan.FromSeconds(60);

    private ExeSysDeployment(TestSettings settings, IConnectionMultiplexer redis, ProcessSet processes, ExeSysProcess api, Uri baseAddress)
    {
        Settings = settings;
        Redis = redis;
        Keys = new RedisKeys(settings.Prefix);
        Processes = processes;
        Api = api;
        BaseAddress = baseAddress;
        Client = NewClient(baseAddress);
    }

    public TestSettings Settings { get; }

    public IConnectionMultiplexer Redis { get; }

    public RedisKeys Keys { get; }

    public ProcessSet Processes { get; }

    public ExeSysProcess Api { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>Starts the API process; workers and controllers are started by the test, so it can name and kill them.</summary>
    public static async Task<ExeSysDeployment> StartAsync(TestSettings settings, IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var processes = new ProcessSet();
        try
        {
            var (api, baseAddress) = await processes.StartApiAsync("api", settings, ProcessStartTimeout);
            return new ExeSysDeployment(settings, redis, processes, api, baseAddress);
        }
        catch
        {
            await processes.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of the API with many connections, for tests that send a lot at once.</summary>
    public static HttpClient NewClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Starts a worker process named <paramref name="id"/> (also its id in the registry and in job state).</summary>
    public ExeSysProcess StartWorker(string id, Func<TestSettings, TestSettings>? configure = null)
    {
        var settings = Settings.With("ExeSys:Worker:Id", id);
        return Processes.Start(ExeSysRole.Worker, id, configure is null ? settings : configure(settings));
    }

    public ExeSysProcess StartController(string name) => Processes.Start(ExeSysRole.Controller, name, Settings);

    /// <summary>Waits until the API lists the worker's functions (GET /functions always reads the registry afresh).</summary>
    public async Task WaitForWorkerAsync(ExeSysProcess worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfExited(worker);
                var reply = await SysCmdHttp.GetAsync(Client, "/functions");
                return reply.Code == 200 && reply.Text.Contains($"\"{worker.Name}\"", StringComparison.Ordinal);
            },
            ProcessStartTimeout,
            $"worker {worker.Name} to advertise its functions");
    }

    /// <summary>Waits until the controller process heart-beats in the registry (its id is host-pid).</summary>
    public async Task WaitForControllerAsync(ExeSysProcess controller)
    {
        ArgumentNullException.ThrowIfNull(controller);
        var id = $"{Environment.MachineName}-{controller.Pid.ToString(CultureInfo.InvariantCulture)}";
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfExited(controller);
                return await Redis.GetDatabase().SortedSetScoreAsync(Keys.Controllers, id) is not null;
            },
            ProcessStartTimeout,
            $"controller {controller.Name} to heart-beat");
    }

    public Task<Reply> GetJobAsync(string from, string jobId) => SysCmdHttp.GetAsync(Client, $"/jobs/{from}/{jobId}");

    public Task<Reply> WaitForJobAsync(string from, string jobId, Func<Reply, bool> isDone, TimeSpan timeout, string what) =>
        Eventually.WaitForAsync(() => GetJobAsync(from, jobId), isDone, timeout, what);

    /// <summary>The job's status hash as Redis holds it (st, at, wk, ft, ...).</summary>
    public async Task<Dictionary<string, string>> StatusAsync(string from, string jobId)
    {
        var entries = await Redis.GetDatabase().HashGetAllAsync(Keys.Status(new JobRef(from, jobId)));
        return entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
    }

    /// <summary>The raw <c>data_available</c> text (<c>{"to":...,"result":...}</c>) in the job's status hash, or null.</summary>
    public async Task<string?> DataAvailableAsync(string from, string jobId) =>
        await Redis.GetDatabase().HashGetAsync(Keys.Status(new JobRef(from, jobId)), RedisKeys.ResultField);

    /// <summary>Sizes of the queue's three sorted sets: ready, inflight (leases), scheduled (retries).</summary>
    public async Task<(long Ready, long Inflight, long Scheduled)> QueueSizesAsync()
    {
        var db = Redis.GetDatabase();
        return (await db.SortedSetLengthAsync(Keys.Ready), await db.SortedSetLengthAsync(Keys.Inflight), await db.SortedSetLengthAsync(Keys.Scheduled));
    }

    /// <summary>The jobs a worker holds right now: inflight entries whose job is in state 2 under that worker.</summary>
    public async Task<IReadOnlyList<JobRef>> RunningOnAsync(string workerId)
    {
        var db = Redis.GetDatabase();
        var members = await db.SortedSetRangeByRankAsync(Keys.Inflight);
        var refs = members.Select(m => JobRef.Parse((string)m!)).ToList();
        var states = await Task.WhenAll(refs.Select(r => db.HashGetAsync(Keys.Status(r), ["st", "wk"])));
        return [.. refs.Where((_, i) => states[i][0] == "2" && states[i][1] == workerId)];
    }

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static void ThrowIfExited(ExeSysProcess process)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode}:{Environment.NewLine}{process.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Processes.DisposeAsync();
    }
}
