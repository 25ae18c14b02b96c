using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ExeSys.Bench.Options;
using StackExchange.Redis;

namespace ExeSys.Bench.Target;

/// <summary>An ExeSys process whose CPU time is measured. Role is api, worker or controller.</summary>
internal sealed record ProcessRef(string Role, string Label, int Pid);

/// <summary>
/// The system under test: either processes the bench starts itself (a private redis-server on a free loopback port,
/// one controller, the workers and one API from the Release build) or running ones found through --api and --redis.
/// </summary>
internal sealed class TargetSystem : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly List<ChildProcess> _children = [];
    private string? _tempDirectory;

    private TargetSystem(string mode) => Mode = mode;

    /// <summary>own or external.</summary>
    public string Mode { get; }

    public Uri Api { get; private set; } = null!;

    public string RedisEndpoint { get; private set; } = "";

    /// <summary>The bench's own connection, named "exesys-bench" so round-trip counting can leave it out.</summary>
    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public IReadOnlyList<ProcessRef> Processes { get; private set; } = [];

    public int Workers { get; private set; }

    public string RedisVersion { get; private set; } = "";

    public IServer RedisServer => Redis.GetServer(Redis.GetEndPoints()[0]);

    public static async Task<TargetSystem> StartAsync(BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var repo = options.RepoRoot;
        string Dll(string project) => Path.Combine(repo, project, "bin", options.Configuration, "net10.0", $"{project}.dll");
        foreach (var project in new[] { "ExeSys.Api", "ExeSys.Worker", "ExeSys.Controller" })
        {
            if (!File.Exists(Dll(project)))
            {
                throw new InvalidOperationException(
                    $"{Dll(project)} is missing. Build first with 'dotnet build -c {options.Configuration} ExeSys.sln' in {repo} (bench/run.sh does that for Release).");
            }
        }

        var system = new TargetSystem("own");
        try
        {
            system._tempDirectory = Directory.CreateTempSubdirectory("exesys-bench-").FullName;
            var redisPort = FreeLoopbackPort();
            var redis = system.Spawn("redis", options.RedisServer,
                ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", system._tempDirectory],
                []);
            system.RedisEndpoint = $"127.0.0.1:{redisPort}";
            await system.ConnectRedisAsync(redis, cancellationToken);

            var apiPort = FreeLoopbackPort();
            system.Api = new Uri($"http://127.0.0.1:{apiPort}");
            var environment = new List<KeyValuePair<string, string>>
            {
                new("ExeSys__Redis__Connection", system.RedisEndpoint),
                new("ExeSys__Redis__KeyPrefix", options.KeyPrefix),
                new("ExeSys__Api__Urls", system.Api.ToString().TrimEnd('/')),
                new("ExeSys__Functions__TestCmdMaxDelayMs", "0"),
                // Events are kept 5 s, not 10 minutes, so soak_events sees them expire; no other scenario posts events.
                new("ExeSys__Jobs__EventRetention", "00:00:05"),
                new("ExeSys__Jobs__EventRecheck", "00:00:02"),
                new("Logging__LogLevel__Default", "Warning"),
                new("Logging__LogLevel__Microsoft.Hosting.Lifetime", "Warning"),
                new("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
            };
            if (options.WorkerConcurrency is { } concurrency)
            {
                environment.Add(new("ExeSys__Worker__Concurrency", concurrency.ToString(CultureInfo.InvariantCulture)));
            }

            if (options.ClaimBatch is { } batch)
            {
                environment.Add(new("ExeSys__Worker__ClaimBatch", batch.ToString(CultureInfo.InvariantCulture)));
            }

            environment.AddRange(options.ExtraEnvironment);

            var processes = new List<ProcessRef>();
            var controller = system.Spawn("controller", "dotnet", [Dll("ExeSys.Controller")], environment);
            processes.Add(new ProcessRef("controller", controller.Label, controller.Pid));
            for (var i = 1; i <= options.Workers; i++)
            {
                var worker = system.Spawn($"worker-{i}", "dotnet", [Dll("ExeSys.Worker")], environment);
                processes.Add(new ProcessRef("worker", worker.Label, worker.Pid));
            }

            var api = system.Spawn("api", "dotnet", [Dll("ExeSys.Api")], environment);
            processes.Add(new ProcessRef("api", api.Label, api.Pid));
            system.Processes = processes;

            await system.WaitReadyAsync(options.Workers, options.ApiKey, log, cancellationToken);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    public static async Task<TargetSystem> AttachAsync(BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var system = new TargetSystem("external") { Api = options.Api!, RedisEndpoint = options.Redis! };
        try
        {
            await system.ConnectRedisAsync(null, cancellationToken);
            await system.WaitReadyAsync(1, options.ApiKey, log, cancellationToken);
            system.Processes = await DiscoverLocalProcessesAsync(system.RedisServer);
            if (system.Processes.Count == 0)
            {
                await log.WriteLineAsync("note: no ExeSys process of that Redis runs on this machine, so CPU time per process is not measured.");
            }

            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private ChildProcess Spawn(string label, string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>> environment)
    {
        var child = ChildProcess.Start(label, fileName, arguments, environment, _tempDirectory!);
        _children.Add(child);
        return child;
    }

    private async Task ConnectRedisAsync(ChildProcess? ownRedis, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(RedisEndpoint);
        config.AllowAdmin = true; // INFO, CLIENT LIST and MONITOR's peers need it
        config.AbortOnConnectFail = false;
        config.ClientName = "exesys-bench";
        config.SyncTimeout = config.AsyncTimeout = 30_000; // pre-filling a million jobs runs long scripts
        var started = Stopwatch.GetTimestamp();
        Redis = await ConnectionMultiplexer.ConnectAsync(config);
        while (true)
        {
            try
            {
                await Redis.GetDatabase().PingAsync();
                RedisVersion = RedisServer.Version.ToString();
                return;
            }
            catch (RedisException) when (Stopwatch.GetElapsedTime(started) < StartDeadline && ownRedis?.HasExited != true)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (RedisException ex)
            {
                var tail = ownRedis is null ? "" : $" Its log ends:{Environment.NewLine}{ownRedis.Tail()}";
                throw new InvalidOperationException($"Redis at {RedisEndpoint} does not answer: {ex.Message}.{tail}", ex);
            }
        }
    }

    /// <summary>
    /// The last lines of each started process's log (its warnings and errors: the bench starts them at Warning level),
    /// and whether it is still running; empty when the bench targets processes it did not start.
    /// </summary>
    public string DescribeLogs(int lines) => string.Join(Environment.NewLine, _children.Select(c =>
        $"--- {c.Label}{(c.HasExited ? " (exited)" : "")}:{Environment.NewLine}{c.Tail(lines)}"));

    /// <summary>Waits until /health/ready reports Redis ok, the expected workers and a controller.</summary>
    private async Task WaitReadyAsync(int expectedWorkers, string? apiKey, TextWriter log, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (apiKey is not null)
        {
            // /health/ready shows the counts it waits for to an admin key only, once keys are on.
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        var url = new Uri(Api, "/health/ready");
        var started = Stopwatch.GetTimestamp();
        var last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < StartDeadline)
        {
            if (_children.FirstOrDefault(c => c.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"{dead.Label} exited during start-up. Its log ({dead.LogPath}) ends:{Environment.NewLine}{dead.Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                last = await response.Content.ReadAsStringAsync(cancellationToken);
                using var doc = JsonDocument.Parse(last);
                var root = doc.RootElement;
                if (response.IsSuccessStatusCode &&
                    root.TryGetProperty("workers", out var w) && w.GetInt32() >= expectedWorkers &&
                    root.TryGetProperty("controllers", out var c) && c.GetInt32() >= 1)
                {
                    Workers = w.GetInt32();
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        var logs = string.Join(Environment.NewLine, _children.Select(c => $"--- {c.Label} ({c.LogPath}):{Environment.NewLine}{c.Tail(5)}"));
        await log.WriteLineAsync(logs);
        throw new InvalidOperationException(
            $"{url} did not report {expectedWorkers} worker(s) and a controller within {StartDeadline.TotalSeconds:0} s; last answer: {last}");
    }

    /// <summary>ExeSys processes name their Redis connection exesys-PID; those running on this machine are measured.</summary>
    private static async Task<IReadOnlyList<ProcessRef>> DiscoverLocalProcessesAsync(IServer server)
    {
        var found = new List<ProcessRef>();
        foreach (var client in await server.ClientListAsync())
        {
            var name = client.Name ?? "";
            if (!name.StartsWith("exesys-", StringComparison.Ordinal) ||
                !int.TryParse(name["exesys-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
                found.Any(p => p.Pid == pid))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = await File.ReadAllTextAsync($"/proc/{pid}/cmdline");
            }
            catch (IOException)
            {
                continue; // another machine's process
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            var role = commandLine.Contains("ExeSys.Api", StringComparison.Ordinal) ? "api"
                : commandLine.Contains("ExeSys.Worker", StringComparison.Ordinal) ? "worker"
                : commandLine.Contains("ExeSys.Controller", StringComparison.Ordinal) ? "controller"
                : null;
            if (role is not null)
            {
                var index = found.Count(p => p.Role == role) + 1;
                found.Add(new ProcessRef(role, role == "worker" ? $"worker-{index}" : role, pid));
            }
        }

        return found;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        // The API and workers first, Redis last, so nothing logs a flood of connection errors.
        foreach (var child in Enumerable.Reverse(_children))
        {
            child.Dispose();
        }

        if (_tempDirectory is not null)
        {
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
