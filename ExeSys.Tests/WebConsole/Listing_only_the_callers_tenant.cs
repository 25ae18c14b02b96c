using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// Two tenants that use the same from and job_id: each one's console lists show its own jobs and runs only, and the
/// operator's (the default tenant's) shows neither; the worker id is shown to the operator only.
/// </summary>
[TestFixture]
public sealed class Listing_only_the_callers_tenant : ApiFixture
{
    private const string From = "twin";
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly string _job = "same-" + Guid.NewGuid().ToString("N")[..8];
    private HttpClient _raw = null!;

    protected override TestSettings Configure(TestSettings settings) =>
        settings.With("ExeSys:Auth:BootstrapKey", "bootstrap-" + Guid.NewGuid().ToString("N")).With("ExeSys:Auth:RefreshInterval", "00:00:00.200");

    private Task<Reply> SendAsync(string key, HttpMethod method, string path, string? json = null) =>
        KeyedHttp.SendAsync(_raw, _keys[key], method, path, json);

    [OneTimeTearDown]
    public void Dispose_the_client() => _raw?.Dispose();

    [OneTimeSetUp]
    public async Task Create_two_tenants_with_the_same_job()
    {
        // Without the environment's own key header: each request names its key alone.
        _raw = Env.Api.CreateClient();
        var admin = Env.Api.Services.GetRequiredService<KeyAdmin>();
        _keys["operator"] = (await admin.CreateAsync(new KeyRequest("operator", TenantIds.DefaultTenant, [Scopes.Admin], null, null, null))).Key;
        _keys["shop"] = (await admin.CreateAsync(new KeyRequest("shop", "shop", [Scopes.Submit, Scopes.Read], null, null, null))).Key;
        _keys["acme"] = (await admin.CreateAsync(new KeyRequest("acme", "acme", [Scopes.Submit, Scopes.Read], null, null, null))).Key;
        await Eventually.WaitForAsync(() => SendAsync("acme", HttpMethod.Get, "/functions"), r => r.Code == 200, TimeSpan.FromSeconds(10), "the API to read the key table");

        foreach (var tenant in new[] { "shop", "acme" })
        {
            Assert.That((await SendAsync(tenant, HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command(From, _job, "echo", $"\"{tenant}\""))).Code, Is.LessThan(300));
            Assert.That((await SendAsync(tenant, HttpMethod.Post, "/workflows",
                $$"""{"from":"{{From}}","job_id":"run-{{_job}}","nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""")).Code, Is.LessThan(300));
        }

        await Eventually.WaitForAsync(() => SendAsync("shop", HttpMethod.Get, $"/jobs/{From}/{_job}?wait=5s"), r => r.Code == 200, TimeSpan.FromSeconds(20), "shop's job to end");
    }

    [TestCase("shop")]
    [TestCase("acme")]
    public async Task Should_list_each_tenants_own_job_and_run_once(string tenant)
    {
        var jobs = await SendAsync(tenant, HttpMethod.Get, $"/console/api/jobs?from={From}");
        var runs = await SendAsync(tenant, HttpMethod.Get, $"/console/api/runs?from={From}");
        Assert.Multiple(() =>
        {
            Assert.That(jobs.Get("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()), Is.EqualTo(new[] { _job }), jobs.Text);
            Assert.That(runs.Get("runs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()), Is.EqualTo(new[] { "run-" + _job }), runs.Text);
            Assert.That(jobs.Text, Does.Not.Contain("~"), "ids are shown as their clients wrote them");
        });
    }

    [Test]
    public async Task Should_show_the_operator_neither_tenants_jobs()
    {
        var jobs = await SendAsync("operator", HttpMethod.Get, $"/console/api/jobs?from={From}");
        var runs = await SendAsync("operator", HttpMethod.Get, $"/console/api/runs?from={From}");
        Assert.Multiple(() =>
        {
            Assert.That(jobs.Get("jobs").GetArrayLength(), Is.Zero, jobs.Text);
            Assert.That(runs.Get("runs").GetArrayLength(), Is.Zero, runs.Text);
        });
    }

    [Test]
    public async Task Should_show_the_worker_to_the_operator_only()
    {
        var id = "mine-" + Guid.NewGuid().ToString("N");
        Assert.That((await SendAsync("operator", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("op", id, "echo", "1"))).Code, Is.LessThan(300));
        await Eventually.WaitForAsync(() => SendAsync("operator", HttpMethod.Get, $"/jobs/op/{id}?wait=5s"), r => r.Code == 200 && r.State == 3, TimeSpan.FromSeconds(20), "the job to end");
        var operatorView = await SendAsync("operator", HttpMethod.Get, "/console/api/jobs?from=op");
        var shopView = await SendAsync("shop", HttpMethod.Get, $"/console/api/jobs?from={From}");
        Assert.Multiple(() =>
        {
            Assert.That(operatorView.Get("jobs")[0].TryGetProperty("worker", out _), Is.True, operatorView.Text);
            Assert.That(shopView.Get("jobs")[0].TryGetProperty("worker", out _), Is.False, shopView.Text);
        });
    }
}
