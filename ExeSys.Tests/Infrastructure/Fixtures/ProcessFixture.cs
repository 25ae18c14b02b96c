using ExeSys.Tests.Infrastructure.Deployment;

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
    protected static readonly TimeSpan ProcessStartTimeout = ExeSysDeployment.ProcessStartTimeout;

    protected TestSettings Settings { get; private set; } = null!;

    /// <summary>The test's deployment: the in-process API, and the processes the test starts (<see cref="Processes"/>).</summary>
    protected ExeSysDeployment Deployment { get; private set; } = null!;

    protected ApiEnvironment Api => Deployment.InProcessApi;

    protected ProcessSet Processes => Deployment.Processes;

    protected virtual TestSettings Configure(TestSettings settings) => settings;

    [SetUp]
    public async Task Start_the_api_window()
    {
        Settings = Configure(TestSettings.For(TestRedis.NewPrefix(GetType().Name)));
        Deployment = await ExeSysDeployment.Build(Settings).WithApiInProcess().StartAsync();
    }

    [TearDown]
    public async Task Stop_everything() => await Deployment.DisposeAsync();

    protected async Task<Reply> WaitForReadyAsync(int workers, int controllers) =>
        await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(Api.Client, "/health/ready"),
            r => r.Code == 200 && r.Get("workers").GetInt32() == workers && r.Get("controllers").GetInt32() == controllers,
            ProcessStartTimeout,
            $"/health/ready to show {workers} worker(s) and {controllers} controller(s)");

    protected async Task<Reply> ReadyAsync() => await SysCmdHttp.GetAsync(Api.Client, "/health/ready");

    /// <summary>Polls the job's state until <paramref name="isDone"/> holds.</summary>
    protected Task<Reply> WaitForJobAsync(string from, string jobId, Func<Reply, bool> isDone, TimeSpan timeout, string what) =>
        Deployment.WaitForJobAsync(from, jobId, isDone, timeout, what);
}
