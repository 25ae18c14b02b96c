using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Infrastructure.Fixtures;

/// <summary>A fixture with the API's real pipeline and an in-process worker on a key prefix of its own.</summary>
public abstract class ApiFixture
{
    private ExeSysDeployment? _deployment;

    /// <summary>The API and its worker, in-process.</summary>
    protected ApiEnvironment Env => (_deployment ?? throw new InvalidOperationException("The API has not started.")).InProcessApi;

    protected HttpClient Client => Env.Client;

    protected virtual bool WithWorker => true;

    protected virtual TestSettings Configure(TestSettings settings) => settings;

    [OneTimeSetUp]
    public async Task Start_the_api() =>
        _deployment = await ExeSysDeployment.Build(Configure(TestSettings.For(TestRedis.NewPrefix(GetType().Name)))).WithApiInProcess(WithWorker).StartAsync();

    [OneTimeTearDown]
    public async Task Stop_the_api()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }

    protected Task<Reply> PostAsync(string json, string? query = null) => SysCmdHttp.PostAsync(Client, json, query);

    protected Task<Reply> GetAsync(string path) => SysCmdHttp.GetAsync(Client, path);

    /// <summary>Long-polls the job until it has finished (state 3 or 4).</summary>
    protected Task<Reply> WaitUntilFinishedAsync(string from, string jobId) =>
        Eventually.WaitForAsync(
            () => GetAsync($"/jobs/{from}/{jobId}?wait=5s"),
            r => r.Code == 200,
            TimeSpan.FromSeconds(20),
            $"job {from}/{jobId} to finish");

    protected static string NewJobId() => Guid.NewGuid().ToString();
}
