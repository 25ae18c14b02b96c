using System.Text.Json;
using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// GET /console/api/overview and GET /jobs/{from}/{job_id}?input=true (the console's job page) with keys required: the operator (an admin key of
/// the default tenant) sees the fleet's per-minute counts, workers and failures; another tenant sees its own submits and
/// nothing of the fleet's; a bad query is a 400 naming the field and writes nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Reading_the_console_overview : ApiFixture
{
    private const string Shop = "shop";
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private HttpClient _raw = null!;

    protected override TestSettings Configure(TestSettings settings) =>
        settings.With("ExeSys:Auth:BootstrapKey", "bootstrap-" + Guid.NewGuid().ToString("N"))
            .With("ExeSys:Auth:RefreshInterval", "00:00:00.200")
            .With("ExeSys:Stats:FlushInterval", "00:00:00.300");

    [OneTimeSetUp]
    public async Task Create_the_keys()
    {
        _raw = Env.Api.CreateClient();
        var admin = Env.Api.Services.GetRequiredService<KeyAdmin>();
        async Task Create(string name, string tenant, string[] scopes) =>
            _keys[name] = (await admin.CreateAsync(new KeyRequest(name, tenant, scopes, null))).Key;
        await Create("operator", TenantIds.DefaultTenant, [Scopes.Admin]);
        await Create("shop", Shop, [Scopes.Submit, Scopes.Read, Scopes.Operate]);
        await Create("submit-only", Shop, [Scopes.Submit]);
        await Create("acme", "acme", [Scopes.Submit, Scopes.Read]);
        await Eventually.WaitForAsync(async () => (await SendAsync("shop", HttpMethod.Get, "/functions")).Code == 200,
            TimeSpan.FromSeconds(10), "the API to read the key table");
    }

    [OneTimeTearDown]
    public void Dispose_the_client() => _raw?.Dispose();

    [Test]
    public async Task Should_show_the_operator_the_fleets_submitted_finished_and_failed_jobs_per_minute_with_workers_and_failures()
    {
        var before = await OverviewAsync("operator");
        for (var i = 0; i < 3; i++)
        {
            Assert.That((await SendAsync("operator", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("ops", NewJobId(), "echo", "1"))).Code, Is.EqualTo(202));
        }

        for (var i = 0; i < 2; i++)
        {
            Assert.That((await SendAsync("operator", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("ops", NewJobId(), "fail", "\"on purpose\""))).Code, Is.EqualTo(202));
        }

        var after = await Eventually.WaitForAsync(
            () => OverviewAsync("operator"),
            o => Sum(o, "submitted") - Sum(before, "submitted") >= 5 && Sum(o, "finished") - Sum(before, "finished") >= 3 && Sum(o, "failed") - Sum(before, "failed") >= 2,
            TimeSpan.FromSeconds(30), "the overview to count the submits, finishes and failures");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.GetProperty("fleet").GetBoolean(), Is.True);
            Assert.That(after.GetProperty("minutes").GetArrayLength(), Is.EqualTo(30), "30 minutes by default");
            Assert.That(after.GetProperty("workers").GetInt32(), Is.GreaterThanOrEqualTo(1), after.ToString());
            Assert.That(after.GetProperty("failures_last_hour").GetProperty("functions").GetProperty("fail").GetInt64(), Is.GreaterThanOrEqualTo(2), after.ToString());
            Assert.That(after.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()), Does.Contain("default"), after.ToString());
            var last = after.GetProperty("minutes")[29];
            Assert.That(last.GetProperty("seconds").GetInt32(), Is.InRange(1, 60), "the current minute is partial");
        }
    }

    [Test]
    public async Task Should_show_another_tenant_its_own_submits_and_nothing_of_the_fleet()
    {
        var secret = "op-" + NewJobId();
        Assert.That((await SendAsync("operator", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("ops", secret, "fail", "1"))).Code, Is.EqualTo(202));
        for (var i = 0; i < 2; i++)
        {
            Assert.That((await SendAsync("acme", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("acme-a", NewJobId(), "echo", "1"))).Code, Is.EqualTo(202));
        }

        // Tenant acme's own two submits (no other test of this fixture submits as acme), and never the operator's: its count stays exact however long we wait for it.
        var acme = await Eventually.WaitForAsync(() => OverviewAsync("acme"), o => Sum(o, "submitted") >= 2, TimeSpan.FromSeconds(30), "acme's submits to be counted");
        await Eventually.WaitForAsync(async () => Sum(await OverviewAsync("operator"), "failed") >= 1, TimeSpan.FromSeconds(30), "the operator's failure to be counted");
        var text = (await SendAsync("acme", HttpMethod.Get, "/console/api/overview")).Text;
        acme = JsonDocument.Parse(text).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Sum(acme, "submitted"), Is.EqualTo(2), text);
            Assert.That(acme.GetProperty("fleet").GetBoolean(), Is.False);
            foreach (var hidden in new[] { "workers", "controllers", "failures_last_hour", "archive_backlog" })
            {
                Assert.That(acme.GetProperty(hidden).ValueKind, Is.EqualTo(JsonValueKind.Null), hidden);
            }

            Assert.That(acme.GetProperty("minutes").EnumerateArray().All(m => m.GetProperty("finished").ValueKind == JsonValueKind.Null && m.GetProperty("failed").ValueKind == JsonValueKind.Null), Is.True, text);
            Assert.That(text, Does.Not.Contain(secret).And.Not.Contain("\"fail\""), "no other tenant's job ids or function names");
        }
    }

    [Test]
    public async Task Should_refuse_a_bad_query_naming_the_field_and_leave_redis_unchanged()
    {
        var before = await Env.SnapshotAsync(jobsOnly: true);
        var unknown = await SendAsync("operator", HttpMethod.Get, "/console/api/overview?window=day");
        var tooMany = await SendAsync("operator", HttpMethod.Get, "/console/api/overview?minutes=61");
        var notANumber = await SendAsync("operator", HttpMethod.Get, "/console/api/overview?minutes=ten");
        var noRead = await SendAsync("submit-only", HttpMethod.Get, "/console/api/overview");
        var after = await Env.SnapshotAsync(jobsOnly: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((unknown.Code, unknown.MediaType, unknown.Body.GetProperty("errors").TryGetProperty("window", out _)), Is.EqualTo((400, "application/problem+json", true)), unknown.Text);
            Assert.That((tooMany.Code, tooMany.Body.GetProperty("errors").TryGetProperty("minutes", out _)), Is.EqualTo((400, true)), tooMany.Text);
            Assert.That((notANumber.Code, notANumber.Body.GetProperty("errors").TryGetProperty("minutes", out _)), Is.EqualTo((400, true)), notANumber.Text);
            Assert.That(noRead.Code, Is.EqualTo(403), noRead.Text);
            Assert.That(after.ChangesSince(before), Is.Empty);
        }
    }

    [Test]
    public async Task Should_give_the_job_page_a_job_of_the_keys_own_tenant_with_its_input_and_the_worker_to_the_operator_only()
    {
        var jobId = NewJobId();
        Assert.That((await SendAsync("shop", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-a", jobId, "echo", """{"n":42}"""))).Code, Is.EqualTo(200));
        var own = await SendAsync("shop", HttpMethod.Get, $"/jobs/shop-a/{jobId}?input=true");
        var operatorView = await SendAsync("operator", HttpMethod.Get, $"/jobs/shop-a/{jobId}?input=true");
        var operatorJobId = NewJobId();
        await SendAsync("operator", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("ops", operatorJobId, "echo", "7"));
        var operatorOwn = await SendAsync("operator", HttpMethod.Get, $"/jobs/ops/{operatorJobId}?input=true");
        var badId = await SendAsync("shop", HttpMethod.Get, "/jobs/shop-a/a:b?input=true");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(own.Code, Is.EqualTo(200), own.Text);
            Assert.That(own.Get("input").GetProperty("n").GetInt32(), Is.EqualTo(42), own.Text);
            Assert.That(own.Get("state").GetInt32(), Is.EqualTo(3), own.Text);
            Assert.That(own.Has("worker"), Is.False, "worker ids are the operator's: " + own.Text);
            Assert.That(operatorView.Code, Is.EqualTo(404), "another tenant's job: " + operatorView.Text);
            Assert.That((operatorOwn.Code, operatorOwn.Has("worker")), Is.EqualTo((200, true)), operatorOwn.Text);
            Assert.That(badId.Code, Is.EqualTo(400), badId.Text);
        }
    }

    private static long Sum(JsonElement overview, string series) =>
        overview.GetProperty("minutes").EnumerateArray().Sum(m => m.GetProperty(series).ValueKind == JsonValueKind.Number ? m.GetProperty(series).GetInt64() : 0);

    private async Task<JsonElement> OverviewAsync(string credential)
    {
        var reply = await SendAsync(credential, HttpMethod.Get, "/console/api/overview");
        Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
        return reply.Body;
    }

    private Task<Reply> SendAsync(string credential, HttpMethod method, string path, string? json = null) =>
        KeyedHttp.SendAsync(_raw, _keys[credential], method, path, json);
}
