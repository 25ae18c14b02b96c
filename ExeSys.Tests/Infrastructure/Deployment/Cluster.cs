using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Infrastructure.Deployment;

/// <summary>
/// ExeSys as it is deployed, for one fixture: the API (a real process, or its real pipeline in-process where the
/// test is about workers), a controller and worker processes, all on the test Redis under a key prefix of their own.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    /// <summary>How long a process may take to start and show up: a cold dotnet start on a loaded 2-core box can take seconds.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ApiEnvironment? _inProcessApi;

    private Cluster(TestSettings settings, ProcessSet processes, HttpClient client, ApiEnvironment? inProcessApi)
    {
        Settings = settings;
        Processes = processes;
        Client = client;
        _inProcessApi = inProcessApi;
    }

    public TestSettings Settings { get; }

    public ProcessSet Processes { get; }

    /// <summary>A client of the API.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts the API, as a real process unless <paramref name="apiInProcess"/>, and a controller process.</summary>
    public static async Task<Cluster> StartAsync(TestSettings settings, bool apiInProcess = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var processes = new ProcessSet();
        processes.Start(ExeSysRole.Controller, "controller", settings);
        if (apiInProcess)
        {
            var api = await ApiEnvironment.StartAsync(settings, withWorker: false);
            return new Cluster(settings, processes, api.Client, api);
        }

        var (_, address) = await processes.StartApiAsync("api", settings, StartTimeout);
        return new Cluster(settings, processes, new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) }, null);
    }

    /// <summary>Starts a worker process named <paramref name="id"/> (its registry id too).</summary>
    public ExeSysProcess StartWorker(string id, Func<TestSettings, TestSettings>? configure = null)
    {
        var settings = Settings.With("ExeSys:Worker:Id", id);
        return Processes.Start(ExeSysRole.Worker, id, configure is null ? settings : configure(settings));
    }

    /// <summary>Waits until the API sees every one of <paramref name="workers"/> offering the built-in functions.</summary>
    public Task WaitForWorkersAsync(params string[] workers) =>
        Eventually.WaitForAsync(
            Client.FunctionsAsync,
            functions => functions.Any(f => f.Name == "echo" && workers.All(f.Workers.Contains)),
            StartTimeout,
            $"the API to see worker(s) {string.Join(", ", workers)}");

    /// <summary>Writes the end of every process's output to the test output: the first thing to read when a test failed.</summary>
    public async Task WriteLogsAsync()
    {
        foreach (var process in Processes.All)
        {
            var lines = process.Output.Split('\n');
            await TestContext.Out.WriteLineAsync($"----- {process.Name} ({process.Role}, pid {process.Pid}) {process.LogPath}");
            await TestContext.Out.WriteLineAsync(string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40))));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Processes.DisposeAsync();
        if (_inProcessApi is not null)
        {
            await _inProcessApi.DisposeAsync();
        }
        else
        {
            Client.Dispose();
        }
    }
}
