using System.Net;
using System.Text;
using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.Security;

/// <summary>
/// The API with keys required: every endpoint of the app's own route table × {no key, wrong key, revoked key, a key
/// without the scope, another tenant's key, the right key}. Refusals leave Redis unchanged; another tenant sees
/// nothing of tenant 'shop' (its run, definition and schedule: 404, or lists without them) and changes nothing of it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Calling_the_api_with_api_keys : ApiFixture
{
    private const string Shop = "shop";
    private const string From = "shop-a";
    private const string Run = "run1";
    private const string Definition = "def1";
    private static readonly string[] Anonymous = ["/", "/health/live", "/health/ready", "/console/api/session", "/console/api/logout"];
    private static readonly int[] OneWaitsOneRefused = [202, 429];

    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private HttpClient _raw = null!;
    private string _spareKeyId = "";

    protected override TestSettings Configure(TestSettings settings) =>
        settings.With("ExeSys:Auth:BootstrapKey", "bootstrap-" + Guid.NewGuid().ToString("N")).With("ExeSys:Auth:RefreshInterval", "00:00:00.200");

    [OneTimeTearDown]
    public void Dispose_the_client() => _raw?.Dispose();

    [OneTimeSetUp]
    public async Task Create_the_keys_and_the_shops_run()
    {
        _raw = Env.Api.CreateClient();
        var admin = Env.Api.Services.GetRequiredService<KeyAdmin>();
        async Task<string> Create(string name, string tenant, string[] scopes, string[]? from = null, int? perMinute = null, int? longPolls = null) =>
            _keys[name] = (await admin.CreateAsync(new KeyRequest(name, tenant, scopes, from, perMinute, longPolls))).Key;

        await Create("operator", TenantIds.DefaultTenant, [Scopes.Admin]);
        await Create("shop", Shop, [Scopes.Admin], ["shop-*"]);
        await Create("shop-steps", Shop, [Scopes.Submit, Scopes.Read]);
        await Create("acme", "acme", [Scopes.Admin]);
        foreach (var scope in Scopes.All)
        {
            await Create("lacks-" + scope, Shop, [.. Scopes.All.Where(s => s != scope && s != Scopes.Admin)]);
        }

        await Create("revoked", Shop, [Scopes.Admin]);
        var revokedId = ApiKeySecret.IdOf(_keys["revoked"])!;
        await admin.RevokeAsync(revokedId);
        _spareKeyId = ApiKeySecret.IdOf(await Create("spare", Shop, [Scopes.Read]))!;
        await Create("slow", Shop, [Scopes.Submit, Scopes.Read], perMinute: 6);
        await Create("one-poll", Shop, [Scopes.Submit, Scopes.Read], longPolls: 1);

        await Eventually.WaitForAsync(async () => (await SendAsync("shop", HttpMethod.Get, "/functions")).Code == 200 && (await SendAsync("revoked", HttpMethod.Get, "/functions")).Code == 401,
            TimeSpan.FromSeconds(10), "the API to read the key table");

        var run = await SendAsync("shop", HttpMethod.Post, "/workflows", $$"""
            {"from":"{{From}}","job_id":"{{Run}}","nodes":{"paid":{"cmd":"wait_event","data":"payment","next":["ship"]},"ship":{"cmd":"echo","data":"shipped","next":["end_job"]} } }
            """);
        var definition = await SendAsync("shop", HttpMethod.Put, $"/workflows/definitions/{Definition}", """{"nodes":{"a":{"cmd":"echo","next":["end_job"]}}}""");
        // The shop's schedule has the definition's name, so {name} in /schedules/{name} is the shop's own (no controller runs here: it never fires).
        var schedule = await SendAsync("shop", HttpMethod.Post, "/schedules", ShopSchedule(Definition));
        Assert.That((run.Code, definition.Code, schedule.Code), Is.EqualTo((202, 204, 201)), run.Text + definition.Text + schedule.Text);
    }

    [Test]
    public async Task Should_answer_every_endpoint_by_key_as_documented_and_leave_redis_unchanged_on_every_refusal()
    {
        var endpoints = Env.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Endpoint: e)))
            .ToList();
        Assert.That(endpoints, Has.Count.GreaterThan(25), "the route table was read");
        var failures = new List<string>();
        var shopState = await ShopStateAsync();
        // Quiet first: no job of another test still running, whose end would look like a write.
        await Eventually.WaitForAsync(async () => await TestRedis.Connection.GetDatabase().SortedSetLengthAsync($"{Env.Prefix}:{{queue}}:inflight") == 0,
            TimeSpan.FromSeconds(10), "no job to run");

        foreach (var (method, endpoint) in endpoints)
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var scope = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (scope is null)
            {
                if (!anonymous || !Anonymous.Contains(pattern))
                {
                    failures.Add($"{method} {pattern} has no scope policy and is not a known anonymous endpoint");
                }

                continue;
            }

            var path = Fill(pattern);
            foreach (var (credential, expected) in new[] { ("none", 401), ("wrong", 401), ("revoked", 401), ("lacks-" + scope, 403) })
            {
                var before = await Env.SnapshotAsync(jobsOnly: true);
                var reply = await SendAsync(credential, new HttpMethod(method), path, BodyFor(method, pattern));
                var after = await Env.SnapshotAsync(jobsOnly: true);
                if (reply.Code != expected || reply.MediaType != "application/problem+json")
                {
                    failures.Add($"{method} {pattern} with {credential}: {reply.Code} {reply.Text}, expected {expected}");
                }

                if (after.ChangesSince(before) is { Count: > 0 } changes)
                {
                    failures.Add($"{method} {pattern} with {credential} changed Redis: {string.Join(", ", changes)}");
                }
            }

        }

        // Another tenant with every scope: never the shop's run, jobs or definitions, and never a change to them.
        foreach (var (method, endpoint) in endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var path = Fill(pattern);
            var other = await SendAsync("acme", new HttpMethod(method), path, BodyFor(method, pattern));
            var leaked = other.Code is >= 200 and < 300 && (other.Text.Contains($"\"{Run}\"", StringComparison.Ordinal) || other.Text.Contains(Definition, StringComparison.Ordinal));
            var ownedByTheShop = pattern.Contains("{job_id}", StringComparison.Ordinal) || pattern.StartsWith("/schedules/{name}", StringComparison.Ordinal);
            if (other.Code >= 500 || leaked || (ownedByTheShop && other.Code != 404) || await ShopStateAsync() != shopState)
            {
                failures.Add($"{method} {pattern} with another tenant's key: {other.Code} {other.Text} (the shop's state {(await ShopStateAsync() == shopState ? "kept" : "CHANGED")})");
            }
        }

        // Deletes last, so every other endpoint finds the shop's things.
        foreach (var (method, endpoint) in endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null).OrderBy(e => e.Method == "DELETE"))
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            // Queues are shared by every tenant: the operator's key pauses them. Schedules are the tenant's own; statistics and metrics are the operator's.
            var right = pattern.StartsWith("/queues/{name}/", StringComparison.Ordinal) || pattern.StartsWith("/stats", StringComparison.Ordinal) || pattern == "/metrics" ? "operator" : "shop";
            var reply = await SendAsync(right, new HttpMethod(method), Fill(pattern), BodyFor(method, pattern));
            if (reply.Code is 401 or 403 or >= 500 || (pattern.StartsWith("/schedules/{name}", StringComparison.Ordinal) && reply.Code == 404))
            {
                failures.Add($"{method} {pattern} with the right key: {reply.Code} {reply.Text}");
            }
        }

        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures));
    }

    [Test]
    public async Task Should_show_health_details_and_worker_ids_to_the_operator_only()
    {
        var anonymous = await SendAsync("none", HttpMethod.Get, "/health/ready");
        var operatorHealth = await SendAsync("operator", HttpMethod.Get, "/health/ready");
        var shopFunctions = await SendAsync("shop", HttpMethod.Get, "/functions");
        var operatorFunctions = await SendAsync("operator", HttpMethod.Get, "/functions");
        var workers = (Reply r) => r.Body.EnumerateArray().Sum(f => f.GetProperty("workers").GetArrayLength());

        using (Assert.EnterMultipleScope())
        {
            Assert.That((anonymous.Code, anonymous.Has("workers"), anonymous.Has("memory")), Is.EqualTo((200, false, false)), anonymous.Text);
            Assert.That((operatorHealth.Code, operatorHealth.Has("workers")), Is.EqualTo((200, true)), operatorHealth.Text);
            Assert.That(workers(shopFunctions), Is.Zero, shopFunctions.Text);
            Assert.That(workers(operatorFunctions), Is.Positive, operatorFunctions.Text);
        }
    }

    [Test]
    public async Task Should_keep_two_tenants_that_use_the_same_job_id_apart()
    {
        var id = "shared-" + Guid.NewGuid().ToString("N");
        var shop = await SendAsync("shop", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-x", id, "echo", "\"shop's\""));
        var acme = await SendAsync("acme", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-x", id, "echo", "\"acme's\""));
        var shopRead = await SendAsync("shop", HttpMethod.Get, $"/jobs/shop-x/{id}");
        var acmeRead = await SendAsync("acme", HttpMethod.Get, $"/jobs/shop-x/{id}");
        var operatorRead = await SendAsync("operator", HttpMethod.Get, $"/jobs/shop-x/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((shop.Code, shop.Get("data").GetString(), shop.Get("job_id").GetString()), Is.EqualTo((200, "shop's", id)), shop.Text);
            Assert.That((acme.Code, acme.Get("data").GetString()), Is.EqualTo((200, "acme's")), "no 409 naming the other tenant's command: " + acme.Text);
            Assert.That(shopRead.Get("data").GetString(), Is.EqualTo("shop's"), shopRead.Text);
            Assert.That(acmeRead.Get("data").GetString(), Is.EqualTo("acme's"), acmeRead.Text);
            Assert.That(operatorRead.Code, Is.EqualTo(404), "the default tenant sees neither: " + operatorRead.Text);
        }
    }

    [Test]
    public async Task Should_keep_two_tenants_latches_of_one_name_apart()
    {
        var latch = "latch-" + Guid.NewGuid().ToString("N")[..8];
        var holder = $$"""{"name":"{{latch}}","holder":"h1"}""";
        var held = await SendAsync("shop", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-l", "acquire-" + latch, "wait_acquire", holder));
        // acme's latch of that name is at zero, whatever the shop holds; acme cannot release the shop's hold either.
        var acmeCountdown = await SendAsync("acme", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-l", "countdown-" + latch, "wait_countdown", $"\"{latch}\""));
        var acmeRelease = await SendAsync("acme", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-l", "release-" + latch, "wait_release", holder));
        var shopCountdown = await SendAsync("shop", HttpMethod.Post, "/sys_cmd?wait=1s", SysCmdHttp.Command("shop-l", "countdown-" + latch, "wait_countdown", $"\"{latch}\""));
        var shopRelease = await SendAsync("shop", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("shop-l", "release-" + latch, "wait_release", holder));
        var shopDone = await SendAsync("shop", HttpMethod.Get, $"/jobs/shop-l/countdown-{latch}?wait=10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((held.Code, held.Get("data").GetProperty("acquired").GetBoolean(), held.Get("data").GetProperty("latch").GetString()), Is.EqualTo((200, true, latch)), held.Text);
            Assert.That((acmeCountdown.Code, acmeCountdown.State), Is.EqualTo((200, 3)), "acme's countdown is not held by the shop's latch: " + acmeCountdown.Text);
            Assert.That(acmeRelease.Get("data").GetProperty("released").GetBoolean(), Is.False, "acme released nothing of the shop's: " + acmeRelease.Text);
            Assert.That(shopCountdown.State, Is.Not.EqualTo(3), "the shop's countdown waits for the shop's hold: " + shopCountdown.Text);
            Assert.That(shopRelease.Get("data").GetProperty("released").GetBoolean(), Is.True, shopRelease.Text);
            Assert.That((shopDone.Code, shopDone.State), Is.EqualTo((200, 3)), shopDone.Text);
        }
    }

    [Test]
    public async Task Should_refuse_a_from_outside_the_keys_patterns_naming_from_and_write_nothing()
    {
        var before = await Env.SnapshotAsync(jobsOnly: true);
        var reply = await SendAsync("shop", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("mallory", "j-" + Guid.NewGuid().ToString("N"), "echo"));
        var batch = await SendAsync("shop", HttpMethod.Post, "/sys_cmd/batch", $"[{SysCmdHttp.Command("shop-b", "b1", "echo")},{SysCmdHttp.Command("mallory", "b2", "echo")}]");
        var after = await Env.SnapshotAsync(jobsOnly: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((reply.Code, reply.Body.GetProperty("errors").TryGetProperty("from", out _)), Is.EqualTo((403, true)), reply.Text);
            Assert.That((batch.Code, batch.Body.GetProperty("errors").TryGetProperty("[1].from", out _)), Is.EqualTo((403, true)), batch.Text);
            Assert.That(after.ChangesSince(before), Is.Empty, "nothing written");
        }
    }

    [Test]
    public async Task Should_run_the_original_step_protocol_with_a_key_in_a_header()
    {
        var id = "chain-" + Guid.NewGuid().ToString("N");
        var first = await SendAsync("shop-steps", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("step1", id, "test_cmd_workflow", """["k",0]""", to: "step2"));
        var second = await SendAsync("shop-steps", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("step2", id, "test_cmd_workflow", """["k",5]""", to: "end_job"), workflowStep: true);
        var done = await Eventually.WaitForAsync(
            () => SendAsync("shop-steps", HttpMethod.Post, "/sys_cmd?wait=5s", SysCmdHttp.Command("step2", id, "test_cmd_workflow", """["k",5]""", to: "end_job")),
            r => r.Code == 200, TimeSpan.FromSeconds(20), "the chain to finish");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((first.Code, second.Code), Is.EqualTo((202, 202)), first.Text + second.Text);
            Assert.That((done.Resp, done.Get("data").GetRawText(), done.Get("job_id").GetString()), Is.EqualTo(("data_available", """["k",6]""", id)), done.Text);
        }
    }

    [Test]
    public async Task Should_answer_429_with_retry_after_past_a_keys_rate_and_long_poll_limits()
    {
        var id = "nap-" + Guid.NewGuid().ToString("N");
        await SendAsync("one-poll", HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("shop-n", id, "sleep", "3000"));
        // Two at once: whichever the limiter takes second is refused while the other waits its 2 s.
        var polls = await Task.WhenAll(
            SendAsync("one-poll", HttpMethod.Get, $"/jobs/shop-n/{id}?wait=2s"),
            SendAsync("one-poll", HttpMethod.Get, $"/jobs/shop-n/{id}?wait=2s"));
        var secondPoll = polls.OrderByDescending(p => p.Code).First();
        var replies = new List<Reply>();
        for (var i = 0; i < 3; i++)
        {
            replies.Add(await SendAsync("slow", HttpMethod.Get, $"/jobs/shop-n/{id}"));
        }

        await SendAsync("shop", HttpMethod.Get, $"/jobs/shop-n/{id}?wait=5s");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(polls.Select(p => p.Code).Order(), Is.EqualTo(OneWaitsOneRefused), "one long-poll at a time");
            Assert.That(secondPoll.RetryAfter, Is.EqualTo("1"), secondPoll.Text);
            Assert.That(replies.Select(r => r.Code), Does.Contain(429), "6 a minute: a burst of one");
            Assert.That(replies.First(r => r.Code == 429).RetryAfter, Is.Not.Null);
        }
    }

    [Test]
    public async Task Should_refuse_a_revoked_key_on_another_api_process_within_seconds_and_answer_every_bad_auth_header_401()
    {
        await using var second = new ExeSysApiFactory(Env.Settings);
        using var secondClient = second.CreateClient();
        var admin = Env.Api.Services.GetRequiredService<KeyAdmin>();
        var key = (await admin.CreateAsync(new KeyRequest("short-lived", Shop, [Scopes.Read], null))).Key;
        await Eventually.WaitForAsync(async () => (await Send(secondClient, key, HttpMethod.Get, "/functions")).Code == 200, TimeSpan.FromSeconds(10), "the second API to know the new key");

        await admin.RevokeAsync(ApiKeySecret.IdOf(key)!);
        var started = DateTime.UtcNow;
        await Eventually.WaitForAsync(async () => (await Send(secondClient, key, HttpMethod.Get, "/functions")).Code == 401, TimeSpan.FromSeconds(5), "the second API to refuse the revoked key");
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(5)));

        var good = _keys["shop"];
        string[] authorizations = ["", "Bearer", "Bearer ", "Basic " + Convert.ToBase64String("a:b"u8), "bearer " + good + "x", "Bearer " + good[..^1], "Bearer exs_", "Bearer exs_zzzzzzzzzzzz_x",
            "Bearer exs_" + new string('a', 12) + "_", "Bearer " + new string('x', 5000), "Bearer " + good.ToUpperInvariant(), "Bearer \u00e9\u00e9", "Token " + good, good];
        var before = await Env.SnapshotAsync(jobsOnly: true);
        var failures = new List<string>();
        foreach (var authorization in authorizations)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/sys_cmd", UriKind.Relative)) { Content = SysCmdHttp.Json(SysCmdHttp.Command(From, "fuzz", "echo")) };
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            failures.AddRange(await CheckRefusedAsync(request, authorization));
        }

        foreach (var (a, b) in new[] { (good, _keys["acme"]), ("", good), (good + "\u0000", null), (good, good) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/functions", UriKind.Relative));
            request.Headers.TryAddWithoutValidation("X-Api-Key", a);
            if (b is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Api-Key", b);
            }

            failures.AddRange(await CheckRefusedAsync(request, $"X-Api-Key: {a} / {b}"));
        }

        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures));
        Assert.That((await Env.SnapshotAsync(jobsOnly: true)).ChangesSince(before), Is.Empty);
    }

    private async Task<IEnumerable<string>> CheckRefusedAsync(HttpRequestMessage request, string what)
    {
        using var response = await _raw.SendAsync(request);
        var reply = await Reply.ReadAsync(response);
        return reply.Code == 401 && reply.MediaType == "application/problem+json" ? [] : [$"{what}: {reply.Code} {reply.Text}"];
    }

    /// <summary>The shop's run, its nodes, its definition, its schedule (and every pending firing): what another tenant must not change.</summary>
    private async Task<string> ShopStateAsync()
    {
        var jobs = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, Env.Prefix, k =>
            k.Contains("shop~" + Run, StringComparison.Ordinal) || k.Contains("shop~" + Definition, StringComparison.Ordinal) || k.Contains("{schedules}", StringComparison.Ordinal));
        var definition = await TestRedis.Connection.GetDatabase().HashGetAsync($"{Env.Prefix}:{{definitions}}:workflows", "shop~" + Definition);
        var keys = await TestRedis.Connection.GetDatabase().HashGetAllAsync($"{Env.Prefix}:{{auth}}:revoked");
        return string.Join("\n", jobs.Entries.Select(e => e.Key + "=" + e.Value)) + "\n" + definition + "\n" + keys.Length;
    }

    private string Fill(string pattern) => pattern
        .Replace("{from}", From, StringComparison.Ordinal)
        .Replace("{job_id}", Run, StringComparison.Ordinal)
        .Replace("{action}", "pause", StringComparison.Ordinal)
        .Replace("{id}", _spareKeyId, StringComparison.Ordinal)
        .Replace("{name}", pattern.StartsWith("/queues", StringComparison.Ordinal) ? "default" : Definition, StringComparison.Ordinal);

    private static string? BodyFor(string method, string pattern)
    {
        var fresh = "m-" + Guid.NewGuid().ToString("N");
        return (method, pattern) switch
        {
            ("POST", "/sys_cmd") => SysCmdHttp.Command(From, fresh, "echo"),
            ("POST", "/sys_cmd/batch") => $"[{SysCmdHttp.Command(From, fresh, "echo")}]",
            ("POST", "/workflows") => $$"""{"from":"{{From}}","job_id":"{{fresh}}","nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""",
            ("PUT", "/schedules/{name}") => ShopSchedule(null),
            ("PUT", _) => """{"nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""",
            ("POST", "/events") => """{"event":"payment","data":1}""",
            ("POST", "/keys") => """{"name":"made-in-the-matrix","scopes":["read"]}""",
            _ => null,
        };
    }

    /// <summary>A schedule of the shop's client, once a year (it never fires during the test); <paramref name="name"/> null for an update's body.</summary>
    private static string ShopSchedule(string? name)
    {
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["cron"] = "0 0 1 1 *",
            ["command"] = new System.Text.Json.Nodes.JsonObject { ["from"] = From, ["to"] = "end_job", ["cmd"] = "echo", ["data"] = 1 },
        };
        if (name is not null)
        {
            body["name"] = name;
        }

        return body.ToJsonString();
    }

    private Task<Reply> SendAsync(string credential, HttpMethod method, string path, string? json = null, bool workflowStep = false)
    {
        var key = credential switch
        {
            "none" => null,
            "wrong" => "exs_0123456789ab_" + new string('A', 43),
            _ => _keys[credential],
        };
        return Send(_raw, key, method, path, json, workflowStep);
    }

    private static Task<Reply> Send(HttpClient client, string? key, HttpMethod method, string path, string? json = null, bool workflowStep = false) =>
        KeyedHttp.SendAsync(client, key, method, path, json, workflowStep);
}
