using System.Globalization;
using System.Net;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure.Modules;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure.Deployment;

/// <summary>
/// ExeSys as a test deploys it, made by <see cref="Build"/>: the API (a real process, or its real pipeline in-process,
/// with or without an in-process worker), controller and worker processes (each a <c>dotnet ExeSys.X.dll</c> of its
/// own), all on one Redis under the settings' key prefix, plus an HTTP client on the API and a Redis connection for
/// looking at the state the processes leave behind. The processes a test starts later (<see cref="StartWorker"/>,
/// <see cref="StartController"/>) belong to it too: disposing the deployment stops them all.
/// </summary>
public sealed class ExeSysDeployment : IAsyncDisposable
{
    /// <summary>
    /// How long a real process may take to start and show up, unless the builder says otherwise. Generous: a cold
    /// <c>dotnet</c> start on a loaded 2-core machine has been seen to take over 10 seconds; every wait ends as soon
    /// as the process is there.
    /// </summary>
    public static readonly TimeSpan ProcessStartTimeout = TimeSpan.FromSeconds(60);

    private readonly IConnectionMultiplexer? _redis;
    private readonly string? _workflowsFolder;
    private ExeSysProcess? _api;
    private ApiEnvironment? _inProcessApi;
    private HttpClient? _client;

    internal ExeSysDeployment(TestSettings settings, IConnectionMultiplexer? redis, string? workflowsFolder, TimeSpan startTimeout, int controllers, int workers)
    {
        Settings = settings;
        _redis = redis;
        _workflowsFolder = workflowsFolder;
        StartTimeout = startTimeout;
        ControllerCount = controllers;
        WorkerCount = workers;
        Keys = new RedisKeys(settings.Prefix);
    }

    /// <summary>Describes a deployment to start: <c>await ExeSysDeployment.Build(settings).WithController("c").StartAsync()</c>.</summary>
    public static DeploymentBuilder Build(TestSettings settings) => new(settings);

    /// <summary>The settings every process of the deployment runs with (a worker's adds its id).</summary>
    public TestSettings Settings { get; }

    public string Prefix => Settings.Prefix;

    public RedisKeys Keys { get; }

    /// <summary>The connection the test looks at the deployment's Redis with (the test Redis's, unless the builder was given another).</summary>
    public IConnectionMultiplexer Redis =>
        _redis ?? throw new InvalidOperationException("This deployment runs on a Redis it was given no connection to (DeploymentBuilder.OnRedis).");

    /// <summary>The processes of the deployment: those it started with and those the test started since.</summary>
    public ProcessSet Processes { get; } = new();

    /// <summary>The API process (when the API runs as a process).</summary>
    public ExeSysProcess Api => _api ?? throw new InvalidOperationException("The API of this deployment runs in-process: see InProcessApi.");

    /// <summary>The API's pipeline (and its worker, if any) in the test process (when the API runs in-process).</summary>
    public ApiEnvironment InProcessApi => _inProcessApi ?? throw new InvalidOperationException("The API of this deployment is a process: see Api.");

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>A client of the API.</summary>
    public HttpClient Client => _client ?? throw new InvalidOperationException("The deployment has not started its API.");

    /// <summary>The folder the API reads named workflow definitions from (ExeSys:Api:WorkflowsFolder), when the builder made one.</summary>
    public string WorkflowsFolder => _workflowsFolder ?? throw new InvalidOperationException("This deployment has no workflows folder (DeploymentBuilder.WithWorkflowsFolder).");

    /// <summary>How many controllers the deployment started with.</summary>
    public int ControllerCount { get; }

    /// <summary>How many worker processes the deployment started with.</summary>
    public int WorkerCount { get; }

    /// <summary>How long its processes may take to start and show up.</summary>
    public TimeSpan StartTimeout { get; }

    /// <summary>A client of the API with many connections, for tests that send a lot at once.</summary>
    public static HttpClient NewClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    // ----- processes -----

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
            StartTimeout,
            $"worker {worker.Name} to advertise its functions");
    }

    /// <summary>Waits until the API sees every one of <paramref name="workers"/> (registry ids) offering the built-in functions.</summary>
    public Task WaitForWorkersAsync(params string[] workers) =>
        Eventually.WaitForAsync(
            Client.FunctionsAsync,
            functions => functions.Any(f => f.Name == "echo" && workers.All(f.Workers.Contains)),
            StartTimeout,
            $"the API to see worker(s) {string.Join(", ", workers)}");

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
            StartTimeout,
            $"controller {controller.Name} to heart-beat");
    }

    public void ThrowIfAnyExited()
    {
        if (Processes.FirstOrDefault(p => p.HasExited) is { } dead)
        {
            throw new InvalidOperationException($"{dead.Name} exited with code {dead.ExitCode}:{Environment.NewLine}{dead.Output}");
        }
    }

    /// <summary>The paths of the processes' logs, for a failing test's output.</summary>
    public string DescribeLogs() =>
        string.Join(Environment.NewLine, Processes.Select(p => $"{p.Name} (pid {p.Pid}{(p.HasExited ? $", exited {p.ExitCode}" : "")}): {p.LogPath}"));

    /// <summary>Writes the end of every process's output to the test output: the first thing to read when a test failed.</summary>
    public async Task WriteLogsAsync()
    {
        foreach (var process in Processes)
        {
            var lines = process.Output.Split('\n');
            await TestContext.Out.WriteLineAsync($"----- {process.Name} ({process.Role}, pid {process.Pid}) {process.LogPath}");
            await TestContext.Out.WriteLineAsync(string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40))));
        }
    }

    // ----- HTTP -----

    public Task<Reply> GetAsync(string path) => SysCmdHttp.GetAsync(Client, path);

    public Task<Reply> PostAsync(string path, string? json = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Post, path, json, configure);

    public Task<Reply> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json, null);

    public Task<Reply> GetJobAsync(string from, string jobId) => SysCmdHttp.GetAsync(Client, $"/jobs/{from}/{jobId}");

    /// <summary>Polls GET /jobs/{from}/{job_id} until <paramref name="isDone"/> holds.</summary>
    public Task<Reply> WaitForJobAsync(string from, string jobId, Func<Reply, bool> isDone, TimeSpan timeout, string what) =>
        Eventually.WaitForAsync(() => GetJobAsync(from, jobId), isDone, timeout, what);

    /// <summary>Long-polls GET /jobs/{from}/{job_id} until the job (a step, a node or a whole run) has finished.</summary>
    public Task<Reply> WaitForJobAsync(string from, string jobId, TimeSpan? timeout = null) =>
        Eventually.WaitForAsync(
            () => GetAsync($"/jobs/{from}/{jobId}?wait=5s"),
            r => r.Status == HttpStatusCode.OK,
            timeout ?? TimeSpan.FromSeconds(60),
            $"job {from}/{jobId} to finish");

    // ----- Redis -----

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
        return (await db.ReadyCountAsync(Keys.Default), await db.SortedSetLengthAsync(Keys.Inflight), await db.SortedSetLengthAsync(Keys.Scheduled));
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

    /// <summary>Every key under the prefix and its value (or only the jobs' state).</summary>
    public Task<KeyspaceSnapshot> SnapshotAsync(bool jobsOnly = false) =>
        KeyspaceSnapshot.TakeAsync(Redis, Prefix, jobsOnly ? KeyspaceSnapshot.IsJobState : null);

    // ----- start and stop (DeploymentBuilder) -----

    internal void StartProcess(ExeSysRole role, string name, TestSettings settings) => Processes.Start(role, name, settings);

    /// <summary>Starts the API process on a free loopback port and waits until it answers /health/live.</summary>
    internal async Task StartApiProcessAsync(string name, Func<Uri, HttpClient> newClient)
    {
        var baseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort.Next()}"));
        _api = Processes.Start(ExeSysRole.Api, name, Settings.With("ExeSys:Api:Urls", baseAddress.ToString().TrimEnd('/')));
        _client = newClient(baseAddress);

        // A loaded machine can take seconds to answer the first request, so a slow probe is retried, not fatal.
        using var probe = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfAnyExited();
                try
                {
                    using var response = await probe.GetAsync(new Uri("/health/live", UriKind.Relative));
                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    return false; // not listening yet, or too slow to answer on a loaded machine: ask again
                }
            },
            StartTimeout,
            $"the API process {name} to answer /health/live on {baseAddress}");
    }

    internal async Task StartApiInProcessAsync(bool withWorker)
    {
        _inProcessApi = await ApiEnvironment.StartAsync(Settings, withWorker);
        _client = _inProcessApi.Client;
    }

    /// <summary>Waits until every controller and worker it started has registered, the workers listen for cancellations and the API for completions.</summary>
    internal async Task WaitForRegistrationAsync()
    {
        var db = Redis.GetDatabase();
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfAnyExited();
                return (
                    Workers: await db.SortedSetLengthAsync(Keys.Workers),
                    Controllers: await db.SortedSetLengthAsync(Keys.Controllers),
                    CancelListeners: await SubscriberCountAsync(Keys.CancelChannel.ToString()),
                    DoneListeners: await SubscriberCountAsync(Keys.DoneChannelName));
            },
            r => r.Workers == WorkerCount && r.Controllers == ControllerCount && r.CancelListeners >= WorkerCount && r.DoneListeners >= 1,
            StartTimeout,
            $"{WorkerCount} worker(s) and {ControllerCount} controller(s) to register and subscribe");
    }

    /// <summary>Waits until /health/ready shows exactly the workers and controllers it started.</summary>
    internal Task WaitForHealthReadyAsync() =>
        Eventually.WaitForAsync(
            () => GetAsync("/health/ready"),
            r => r.Code == 200 && r.Get("workers").GetInt32() == WorkerCount && r.Get("controllers").GetInt32() == ControllerCount,
            StartTimeout,
            $"/health/ready to show {WorkerCount} worker(s) and {ControllerCount} controller(s)");

    /// <summary>Waits until GET /functions lists every one of <paramref name="names"/>.</summary>
    internal Task WaitForFunctionsAsync(IReadOnlyList<string> names) =>
        Eventually.WaitForAsync(
            () => GetAsync("/functions"),
            r => names.All(name => r.Text.Contains($"\"{name}\"", StringComparison.Ordinal)),
            StartTimeout,
            $"the API to list the function(s) {string.Join(", ", names)}");

    /// <summary>After a start that failed: stops what did start, showing the processes' output, since the start failed.</summary>
    internal async ValueTask DisposeAfterFailedStartAsync() => await DisposeAsync(showOutput: true);

    public ValueTask DisposeAsync() => DisposeAsync(showOutput: null);

    /// <param name="showOutput">Whether the processes' output goes to the test output; null: when the test failed.</param>
    private async ValueTask DisposeAsync(bool? showOutput)
    {
        if (_inProcessApi is null)
        {
            _client?.Dispose();
        }

        await (showOutput is { } show ? Processes.StopAsync(show) : Processes.DisposeAsync());
        if (_inProcessApi is not null)
        {
            await _inProcessApi.DisposeAsync();
        }

        if (_workflowsFolder is not null)
        {
            TryDelete(_workflowsFolder);
        }
    }

    private async Task<Reply> SendAsync(HttpMethod method, string path, string? json, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        // Every POST and PUT says application/json, even without a body (the API answers 415 otherwise).
        request.Content = json is null ? SysCmdHttp.EmptyJson() : SysCmdHttp.Json(json);

        configure?.Invoke(request);
        using var response = await Client.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    /// <summary>PUBSUB NUMSUB: how many connections listen on a channel.</summary>
    private async Task<long> SubscriberCountAsync(string channel)
    {
        var reply = (RedisResult[])(await Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)reply[1];
    }

    private static void ThrowIfExited(ExeSysProcess process)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode}:{Environment.NewLine}{process.Output}");
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
