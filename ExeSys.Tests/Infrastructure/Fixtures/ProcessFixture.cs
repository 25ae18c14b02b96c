namespace ExeSys.Tests.Infrastructure.Fixtures;

/// <summary>
/// Tests of real worker and controller processes. Each test gets its own key prefix and the processes it starts;
/// the API's pipeline (in-process, same prefix) is the window onto them: /health/ready, /functions, /sys_cmd.
/// </summary>
public abstract class ProcessFixture
{
    /// <summary>
    /// How long a real process may take to start and show up. Generous: on a loaded 2-core machine a cold
    /// <c>dotnet</c> start has been seen to take over 10 seconds; the wait ends as soon as the process is there.
    /// </summary>
    protected static readonly TimeSpan ProcessStartTimeout = TimeSpan.FromSeconds(60);

    protected TestSettings Settings { get; private set; } = null!;

    protected ApiEnvironment Api { get; private set; } = null!;

    protected ProcessSet Processes { get; private set; } = null!;

    protected virtual TestSettings Configure(TestSettings settings) => settings;

    [SetUp]
    public async Task Start_the_api_window()
    {
        Settings = Configure(TestSettings.For(TestRedis.NewPrefix(GetType().Name)));
        Processes = new ProcessSet();
        Api = await ApiEnvironment.StartAsync(Settings, withWorker: false);
    }

    [TearDown]
    public async Task Stop_everything()
    {
        await Processes.DisposeAsync();
        await Api.DisposeAsync();
    }

    protected async Task<Reply> WaitForReadyAsync(int workers, int controllers) =>
        await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(Api.Client, "/health/ready"),
            r => r.Code == 200 && r.Get("workers").GetInt32() == workers && r.Get("controllers").GetInt32() == controllers,
            ProcessStartTimeout,
            $"/health/ready to show {workers} worker(s) and {controllers} controller(s)");

    protected async Task<Reply> ReadyAsync() => await SysCmdHttp.GetAsync(Api.Client, "/health/ready");

    /// <summary>Polls the job's state until <paramref name="isDone"/> holds.</summary>
    protected Task<Reply> WaitForJobAsync(string from, string jobId, Func<Reply, bool> isDone, TimeSpan timeout, string what) =>
        Eventually.WaitForAsync(() => SysCmdHttp.GetAsync(Api.Client, $"/jobs/{from}/{jobId}"), isDone, timeout, what);
}
