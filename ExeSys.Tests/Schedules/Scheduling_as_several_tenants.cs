using System.Text.Json.Nodes;
using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.Schedules;

/// <summary>
/// Schedules per tenant, with keys required, the API's real pipeline and its worker in-process and a real controller
/// process firing: tenants 'shop' and 'sho' (whose qualified names sort next to the shop's) and the default tenant use
/// one schedule name without conflict and each lists only its own; a tenant's triggered firing is a job of its own that
/// no other tenant reads; a 'from' outside the key's patterns is refused naming the field, and nothing is written.
/// </summary>
[TestFixture]
public sealed class Scheduling_as_several_tenants
{
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private ExeSysDeployment _deployment = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task Start_a_controller_and_the_api_with_keys()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix(nameof(Scheduling_as_several_tenants)))
            .With("ExeSys:Auth:BootstrapKey", "bootstrap-" + Guid.NewGuid().ToString("N")).With("ExeSys:Auth:RefreshInterval", "00:00:00.200");
        _deployment = await ExeSysDeployment.Build(settings).WithApiInProcess(withWorker: true).WithController("controller").StartAsync();
        _client = _deployment.InProcessApi.Api.CreateClient();
        var admin = _deployment.InProcessApi.Api.Services.GetRequiredService<KeyAdmin>();
        foreach (var (name, tenant, scopes, from) in new[]
        {
            ("operator", TenantIds.DefaultTenant, new[] { Scopes.Admin }, (string[]?)null),
            ("shop", "shop", [Scopes.Admin], ["shop-*"]),
            ("sho", "sho", [Scopes.Admin], ["sho-*"]),
            ("acme", "acme", [Scopes.Admin], ["acme-*"]),
            ("acme-operate", "acme", [Scopes.Read, Scopes.Operate], ["acme-*"]),
        })
        {
            _keys[name] = (await admin.CreateAsync(new KeyRequest(name, tenant, scopes, from))).Key;
        }

        await Eventually.WaitForAsync(async () => (await SendAsync("acme-operate", HttpMethod.Get, "/schedules")).Code == 200, TimeSpan.FromSeconds(10), "the API to read the key table");
        var db = _deployment.Redis.GetDatabase();
        await Eventually.WaitForAsync(async () => await db.SortedSetLengthAsync(_deployment.Keys.Controllers) == 1, ExeSysDeployment.ProcessStartTimeout, "the controller to register");
    }

    [OneTimeTearDown]
    public async Task Stop_everything()
    {
        _client?.Dispose();
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }

    private Task<Reply> SendAsync(string key, HttpMethod method, string path, string? json = null) =>
        KeyedHttp.SendAsync(_client, _keys[key], method, path, json);

    /// <summary>Once a year, so it fires only when triggered; a command from <paramref name="from"/>, or the named workflow definition.</summary>
    private static string Yearly(string name, string from, string data = "null", string? workflow = null) => new JsonObject
    {
        ["name"] = name,
        ["cron"] = "0 0 1 1 *",
        [workflow is null ? "command" : "workflow"] = workflow is null
            ? new JsonObject { ["from"] = from, ["to"] = "end_job", ["cmd"] = "echo", ["data"] = JsonNode.Parse(data) }
            : new JsonObject { ["from"] = from, ["name"] = workflow },
    }.ToJsonString();

    private static List<string?> Names(Reply page) => [.. page.Get("schedules").EnumerateArray().Select(s => s.GetProperty("name").GetString())];

    [Test]
    public async Task Should_let_each_tenant_use_the_same_name_and_list_only_its_own_with_its_total_and_pages()
    {
        var created = new List<Reply>();
        foreach (var (key, name, from) in new[]
        {
            ("shop", "nightly", "shop-r"), ("shop", "alpha", "shop-r"), ("shop", "zulu", "shop-r"),
            ("sho", "nightly", "sho-r"), ("operator", "nightly", "reports"), ("operator", "shop", "reports"),
        })
        {
            created.Add(await SendAsync(key, HttpMethod.Post, "/schedules", Yearly(name, from)));
        }

        var again = await SendAsync("shop", HttpMethod.Post, "/schedules", Yearly("nightly", "shop-r"));
        var shopFirst = await SendAsync("shop", HttpMethod.Get, "/schedules?limit=2");
        var shopSecond = await SendAsync("shop", HttpMethod.Get, $"/schedules?limit=2&after={shopFirst.Get("next_after").GetString()}");
        var sho = await SendAsync("sho", HttpMethod.Get, "/schedules");
        var byOperator = await SendAsync("operator", HttpMethod.Get, "/schedules?limit=1");
        var operatorSecond = await SendAsync("operator", HttpMethod.Get, "/schedules?limit=1&after=nightly");
        var shopNightly = await SendAsync("shop", HttpMethod.Get, "/schedules/nightly");
        var shoNightly = await SendAsync("sho", HttpMethod.Get, "/schedules/nightly");
        var operatorNightly = await SendAsync("operator", HttpMethod.Get, "/schedules/nightly");
        var shoAlpha = await SendAsync("sho", HttpMethod.Get, "/schedules/alpha");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created.Select(c => c.Code), Is.All.EqualTo(201), string.Join("\n", created.Select(c => c.Text)));
            Assert.That(again.Code, Is.EqualTo(409), "a second create in one tenant: " + again.Text);
            Assert.That((Names(shopFirst), shopFirst.Get("total").GetInt64()), Is.EqualTo((new List<string?> { "alpha", "nightly" }, 3L)), shopFirst.Text);
            Assert.That((Names(shopSecond), shopSecond.Get("total").GetInt64(), shopSecond.Has("next_after")), Is.EqualTo((new List<string?> { "zulu" }, 3L, false)), shopSecond.Text);
            Assert.That((Names(sho), sho.Get("total").GetInt64()), Is.EqualTo((new List<string?> { "nightly" }, 1L)), sho.Text);
            Assert.That((Names(byOperator), byOperator.Get("total").GetInt64(), byOperator.Get("next_after").GetString()), Is.EqualTo((new List<string?> { "nightly" }, 2L, "nightly")), byOperator.Text);
            Assert.That(Names(operatorSecond), Is.EqualTo(new List<string?> { "shop" }), operatorSecond.Text);
            Assert.That(shopNightly.Get("command").GetProperty("from").GetString(), Is.EqualTo("shop-r"), shopNightly.Text);
            Assert.That(shoNightly.Get("command").GetProperty("from").GetString(), Is.EqualTo("sho-r"), shoNightly.Text);
            Assert.That((operatorNightly.Get("name").GetString(), operatorNightly.Get("command").GetProperty("from").GetString()), Is.EqualTo(("nightly", "reports")), operatorNightly.Text);
            Assert.That(shoAlpha.Code, Is.EqualTo(404), "the shop's schedule, to another tenant: " + shoAlpha.Text);
        }
    }

    [Test]
    public async Task Should_fire_a_tenants_triggered_schedule_as_its_own_job_that_no_other_tenant_reads()
    {
        var definition = await SendAsync("acme", HttpMethod.Put, "/workflows/definitions/acme-flow", """{"nodes":{"a":{"cmd":"echo","data":"flowed","next":["end_job"]} } }""");
        var command = await SendAsync("acme", HttpMethod.Post, "/schedules", Yearly("report", "acme-r", "\"acme's\""));
        var workflow = await SendAsync("acme", HttpMethod.Post, "/schedules", Yearly("flow", "acme-w", workflow: "acme-flow"));
        var triggered = await SendAsync("acme-operate", HttpMethod.Post, "/schedules/report/trigger");
        var flowTriggered = await SendAsync("acme-operate", HttpMethod.Post, "/schedules/flow/trigger");
        Assert.That((definition.Code, command.Code, workflow.Code, triggered.Code, flowTriggered.Code), Is.EqualTo((204, 201, 201, 202, 202)),
            string.Join("\n", definition.Text, command.Text, workflow.Text, triggered.Text, flowTriggered.Text));
        Assert.That(workflow.Get("workflow").GetProperty("name").GetString(), Is.EqualTo("acme-flow"), "the definition's name as the client wrote it");

        var jobId = triggered.Get("job_id").GetString()!;
        var runId = flowTriggered.Get("job_id").GetString()!;
        Assert.That(jobId, Does.Match(@"^report\.\d{8}T\d{6}Z$"), "the job_id as the client would write it");
        Assert.That(triggered.Get("poll").GetString(), Is.EqualTo($"/jobs/acme-r/{jobId}"));

        // The controller process fires it; the in-process worker runs it.
        var done = await Eventually.WaitForAsync(() => SendAsync("acme-operate", HttpMethod.Get, $"/jobs/acme-r/{jobId}?wait=2s"), r => r.State == 3, TimeSpan.FromSeconds(60), "the acme's firing to run");
        var run = await Eventually.WaitForAsync(() => SendAsync("acme-operate", HttpMethod.Get, $"/workflows/acme-w/{runId}"), r => r.Code == 200 && r.Get("run").GetProperty("state").GetInt32() == 3, TimeSpan.FromSeconds(60), "the acme's workflow firing to run");
        var shown = await Eventually.WaitForAsync(() => SendAsync("acme-operate", HttpMethod.Get, "/schedules/report"), r => r.Get("last_runs").GetArrayLength() == 1 && r.Get("last_runs")[0].TryGetProperty("state", out _), TimeSpan.FromSeconds(10), "the firing to be settled");
        var byShop = await SendAsync("shop", HttpMethod.Get, $"/jobs/acme-r/{jobId}");
        var byOperator = await SendAsync("operator", HttpMethod.Get, $"/jobs/acme-r/{jobId}");
        var runByOperator = await SendAsync("operator", HttpMethod.Get, $"/workflows/acme-w/{runId}");
        var inItsOwnSlot = await _deployment.Redis.GetDatabase().KeyExistsAsync(_deployment.Keys.Status(new JobRef("acme-r", "acme~" + jobId)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((done.Get("data").GetString(), done.Get("job_id").GetString()), Is.EqualTo(("acme's", jobId)), done.Text);
            Assert.That(inItsOwnSlot, Is.True, "the firing is the tenant-qualified job acme~" + jobId);
            Assert.That(run.Text, Does.Contain("flowed"), "the acme's own definition ran");
            Assert.That((shown.Get("last_runs")[0].GetProperty("job_id").GetString(), shown.Get("last_runs")[0].GetProperty("state").GetInt32()), Is.EqualTo((jobId, 3)), shown.Text);
            Assert.That((byShop.Code, byOperator.Code, runByOperator.Code), Is.EqualTo((404, 404, 404)), byShop.Text + byOperator.Text + runByOperator.Text);
        }
    }

    [Test]
    public async Task Should_refuse_a_from_outside_the_keys_patterns_naming_the_field_and_write_nothing()
    {
        await SendAsync("acme", HttpMethod.Put, "/workflows/definitions/acme-only", """{"nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""");
        await SendAsync("operator", HttpMethod.Put, "/workflows/definitions/operators-only", """{"nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""");
        var before = await _deployment.SnapshotAsync(jobsOnly: true);
        var command = await SendAsync("acme", HttpMethod.Post, "/schedules", Yearly("mallory-report", "mallory"));
        var workflow = await SendAsync("acme", HttpMethod.Post, "/schedules", Yearly("mallory-flow", "mallory", workflow: "acme-only"));
        var othersDefinition = await SendAsync("acme", HttpMethod.Post, "/schedules", Yearly("borrowed-flow", "acme-w", workflow: "operators-only"));
        var after = await _deployment.SnapshotAsync(jobsOnly: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((command.Code, command.Get("errors").TryGetProperty("command.from", out _)), Is.EqualTo((403, true)), command.Text);
            Assert.That((workflow.Code, workflow.Get("errors").TryGetProperty("workflow.from", out _)), Is.EqualTo((403, true)), workflow.Text);
            Assert.That((othersDefinition.Code, othersDefinition.Get("errors").TryGetProperty("workflow.name", out _)), Is.EqualTo((400, true)), "another tenant's definition is unknown: " + othersDefinition.Text);
            Assert.That(after.ChangesSince(before), Is.Empty, "nothing written");
        }
    }
}
