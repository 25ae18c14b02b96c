using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ExeSys.Core.Redis;

namespace ExeSys.Tests.Infrastructure.Workflows;

/// <summary>
/// Real ExeSys processes on a key prefix of their own: one API, some controllers and some workers, as
/// start_exe_sys.sh runs them. Ready means the API answers, every controller and worker has registered, the workers
/// listen for cancellations, the API listens for completions and lists the workers' functions, so no test races the
/// start-up. The API also reads named definitions from a temporary workflows folder.
/// </summary>
public sealed class WorkflowCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly ProcessSet _processes;

    private WorkflowCluster(TestSettings settings, ProcessSet processes, HttpClient client, string workflowsFolder, int controllers, int workers)
    {
        Settings = settings;
        _processes = processes;
        Client = client;
        WorkflowsFolder = workflowsFolder;
        ControllerCount = controllers;
        WorkerCount = workers;
    }

    public TestSettings Settings { get; }

    public string Prefix => Settings.Prefix;

    public RedisKeys Keys => new(Prefix);

    public HttpClient Client { get; }

    /// <summary>The folder the API reads named definitions from (ExeSys:Api:WorkflowsFolder).</summary>
    public string WorkflowsFolder { get; }

    public int ControllerCount { get; }

    public int WorkerCount { get; }

    public IReadOnlyList<ExeSysProcess> Processes => _processes.All;

    /// <param name="name">Names the prefix and the processes' logs.</param>
    /// <param name="configure">Settings of every process beyond the test defaults (e.g. worker concurrency).</param>
    public static async Task<WorkflowCluster> StartAsync(string name, int controllers, int workers, Func<TestSettings, TestSettings>? configure = null)
    {
        var folder = Directory.CreateTempSubdirectory("exesys-workflows-").FullName;
        var settings = TestSettings.For(TestRedis.NewPrefix(name))
            .With("ExeSys:Api:WorkflowsFolder", folder)
            .With("ExeSys:Api:WorkflowsRescan", "00:00:00.200")
            // A worker drops out of the registry after three missed beats, and then its functions are unknown (400/422).
            // The test default (500 ms) is too tight for a loaded machine where a process can stall for seconds.
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:05");
        settings = configure?.Invoke(settings) ?? settings;

        var processes = new ProcessSet();
        HttpClient? client = null;
        try
        {
            // Controllers and workers need no API to start, so all processes start at once.
            for (var i = 1; i <= controllers; i++)
            {
                processes.Start(ExeSysRole.Controller, $"{name}-controller-{i}", settings);
            }

            for (var i = 1; i <= workers; i++)
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"{settings.Prefix}-worker-{i}");
                processes.Start(ExeSysRole.Worker, $"{name}-worker-{i}", settings.With("ExeSys:Worker:Id", id));
            }

            var baseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort.Next()}"));
            processes.Start(ExeSysRole.Api, $"{name}-api", settings.With("ExeSys:Api:Urls", baseAddress.ToString().TrimEnd('/')));
            client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var cluster = new WorkflowCluster(settings, processes, client, folder, controllers, workers);
            await cluster.WaitUntilReadyAsync();
            return cluster;
        }
        catch
        {
            client?.Dispose();
            await processes.DisposeAsync();
            TryDelete(folder);
            throw;
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        // A loaded machine can take seconds to answer the first request, so a slow probe is retried, not fatal.
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfAnyExited();
                try
                {
                    using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var response = await Client.GetAsync(new Uri("/health/live", UriKind.Relative), probe.Token);
                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    return false;
                }
            },
            StartTimeout,
            $"the API to answer /health/live on {Client.BaseAddress}");

        var db = TestRedis.Connection.GetDatabase();
        await Eventually.WaitForAsync(
            async () =>
            {
                ThrowIfAnyExited();
                return (
                    Workers: await db.SortedSetLengthAsync(Keys.Workers),
                    Controllers: await db.SortedSetLengthAsync(Keys.Controllers),
                    CancelListeners: await ApiEnvironment.SubscriberCountAsync(Keys.CancelChannel.ToString()),
                    DoneListeners: await ApiEnvironment.SubscriberCountAsync(Keys.DoneChannelName));
            },
            r => r.Workers == WorkerCount && r.Controllers == ControllerCount && r.CancelListeners >= WorkerCount && r.DoneListeners >= 1,
            StartTimeout,
            $"{WorkerCount} worker(s) and {ControllerCount} controller(s) to register and subscribe");

        await Eventually.WaitForAsync(
            () => GetAsync("/functions"),
            r => r.Text.Contains("\"sum\"", StringComparison.Ordinal) && r.Text.Contains("\"wait_delay\"", StringComparison.Ordinal),
            StartTimeout,
            "the API to list the workers' functions");
    }

    public void ThrowIfAnyExited()
    {
        if (_processes.All.FirstOrDefault(p => p.HasExited) is { } dead)
        {
            throw new InvalidOperationException($"{dead.Name} exited with code {dead.ExitCode}:{Environment.NewLine}{dead.Output}");
        }
    }

    /// <summary>A job_id or client name of a test's own, readable in the logs.</summary>
    public static string NewId(string hint) => string.Create(CultureInfo.InvariantCulture, $"{hint}-{Guid.NewGuid():N}");

    public Task<Reply> GetAsync(string path) => SysCmdHttp.GetAsync(Client, path);

    public Task<Reply> PostAsync(string path, string? json = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Post, path, json, configure);

    public Task<Reply> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json, null);

    /// <summary>POST /sys_cmd as the original clients send a workflow step: the first plain, later ones with the header.</summary>
    public Task<Reply> PostStepAsync(string command, bool withWorkflowHeader, string? query = null) =>
        SysCmdHttp.PostAsync(Client, command, query, withWorkflowHeader ? r => r.Headers.Add("Operation", "workflow") : null);

    public Task<Reply> SubmitRunAsync(string body, string? query = null) => PostAsync("/workflows" + query, body);

    /// <summary>Long-polls GET /jobs/{from}/{job_id} until the job (a step, a node or a whole run) has finished.</summary>
    public Task<Reply> WaitForJobAsync(string from, string jobId, TimeSpan? timeout = null) =>
        Eventually.WaitForAsync(
            () => GetAsync($"/jobs/{from}/{jobId}?wait=5s"),
            r => r.Status == HttpStatusCode.OK,
            timeout ?? TimeSpan.FromSeconds(60),
            $"job {from}/{jobId} to finish");

    public async Task<WorkflowView> ReadRunAsync(string from, string jobId)
    {
        var reply = await GetAsync($"/workflows/{from}/{jobId}");
        return reply.Status == HttpStatusCode.OK
            ? WorkflowView.Of(reply)
            : throw new InvalidOperationException($"GET /workflows/{from}/{jobId} answered {reply}");
    }

    /// <summary>Waits until the run has finished (state 3 or 4), then reads its whole graph.</summary>
    public async Task<WorkflowView> WaitForRunAsync(string from, string jobId, TimeSpan? timeout = null)
    {
        await WaitForJobAsync(from, jobId, timeout);
        return await ReadRunAsync(from, jobId);
    }

    /// <summary>Polls the run's graph until <paramref name="isDone"/> holds.</summary>
    public Task<WorkflowView> WaitForRunStateAsync(string from, string jobId, Func<WorkflowView, bool> isDone, string what, TimeSpan? timeout = null) =>
        Eventually.WaitForAsync(() => ReadRunAsync(from, jobId), isDone, timeout ?? TimeSpan.FromSeconds(60), what);

    /// <summary>The paths of the processes' logs, for a failing test's output.</summary>
    public string DescribeLogs() =>
        string.Join(Environment.NewLine, _processes.All.Select(p => $"{p.Name} (pid {p.Pid}{(p.HasExited ? $", exited {p.ExitCode}" : "")}): {p.LogPath}"));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _processes.DisposeAsync();
        TryDelete(WorkflowsFolder);
    }

    private async Task<Reply> SendAsync(HttpMethod method, string path, string? json, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = SysCmdHttp.Json(json);
        }

        configure?.Invoke(request);
        using var response = await Client.SendAsync(request);
        return await Reply.ReadAsync(response);
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

/// <summary>Request bodies for POST /workflows, written the way a person writes them in a curl command.</summary>
public static class RunBody
{
    /// <param name="nodesJson">The "nodes" object as JSON text.</param>
    /// <param name="dataJson">The run's data (what start nodes see as "start_job"), or null for none.</param>
    public static string Graph(string from, string jobId, string nodesJson, string? dataJson = null, string? startJson = null, string? priority = null)
    {
        var body = new JsonObject { ["from"] = from, ["job_id"] = jobId };
        if (priority is not null)
        {
            body["priority"] = priority;
        }

        if (dataJson is not null)
        {
            body["data"] = JsonNode.Parse(dataJson);
        }

        if (startJson is not null)
        {
            body["start"] = JsonNode.Parse(startJson);
        }

        body["nodes"] = JsonNode.Parse(nodesJson);
        return body.ToJsonString();
    }

    public static string Named(string from, string jobId, string workflow, string dataJson) =>
        new JsonObject { ["from"] = from, ["job_id"] = jobId, ["data"] = JsonNode.Parse(dataJson), ["workflow"] = workflow }.ToJsonString();
}
