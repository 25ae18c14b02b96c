using System.Net;
using System.Text;
using ExeSys.Api.Security;
using ExeSys.Api.WebConsole;
using ExeSys.Core.Auth;
using ExeSys.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// The console's session at the API's edge (real pipeline, real Redis, keys required): a login turns a key into a
/// signed cookie; the cookie alone reads; a write also needs the CSRF token; a forged, expired or revoked session is
/// refused; and the live feed carries a tenant's run changes to that tenant only.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Keeping_console_sessions
{
    private readonly string _bootstrap = "bootstrap-" + Guid.NewGuid().ToString("N");
    private ApiEnvironment _env = null!;
    private HttpClient _raw = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _env = await ApiEnvironment.StartAsync(
            TestSettings.For(TestRedis.NewPrefix("console-session")).With("ExeSys:Auth:BootstrapKey", _bootstrap).With("ExeSys:Auth:RefreshInterval", "00:00:00.200"),
            withWorker: true);
        // Cookies only as each test sends them: no cookie container carrying a login into the next request.
        _raw = _env.Api.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _raw.Dispose();
        await _env.DisposeAsync();
    }

    [Test]
    public async Task Should_set_an_httponly_strict_session_cookie_that_reads_without_the_key()
    {
        var (cookies, setCookie, reply) = await LoginAsync(_bootstrap);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
        var session = setCookie.Single(c => c.StartsWith(ConsoleSessions.SessionCookie + "=", StringComparison.Ordinal));
        var csrf = setCookie.Single(c => c.StartsWith(ConsoleSessions.CsrfCookie + "=", StringComparison.Ordinal));
        var functions = await SendAsync(HttpMethod.Get, "/functions", cookies);
        var who = await SendAsync(HttpMethod.Get, "/console/api/session", cookies);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(session, Does.Contain("httponly").IgnoreCase.And.Contain("samesite=strict").IgnoreCase);
            Assert.That(csrf, Does.Not.Contain("httponly").IgnoreCase.And.Contain("samesite=strict").IgnoreCase, "the page reads the CSRF token");
            Assert.That(session, Does.Not.Contain(_bootstrap), "the cookie never holds the key");
            Assert.That(functions.Status, Is.EqualTo(HttpStatusCode.OK), functions.Text);
            Assert.That((who.Get("authenticated").GetBoolean(), who.Get("name").GetString(), who.Get("tenant").GetString()), Is.EqualTo((true, "bootstrap-admin", "default")));
        }
    }

    [Test]
    public async Task Should_refuse_a_write_without_the_csrf_token_and_leave_redis_unchanged()
    {
        var (cookies, _, _) = await LoginAsync(_bootstrap);
        var command = SysCmdHttp.Command("console", "csrf-1", "echo", "1");
        var before = await _env.SnapshotAsync(jobsOnly: true);
        var without = await SendAsync(HttpMethod.Post, "/sys_cmd", cookies, command);
        var wrong = await SendAsync(HttpMethod.Post, "/sys_cmd", cookies, command, csrf: "not-the-token");
        var after = await _env.SnapshotAsync(jobsOnly: true);
        var with = await SendAsync(HttpMethod.Post, "/sys_cmd", cookies, command, csrf: CsrfOf(cookies));
        using (Assert.EnterMultipleScope())
        {
            Assert.That((without.Status, wrong.Status), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)), without.Text);
            Assert.That(without.Text, Does.Contain(ConsoleSessions.CsrfHeader));
            Assert.That(after.ChangesSince(before), Is.Empty, "nothing written by a refused write");
            Assert.That(with.Status, Is.EqualTo(HttpStatusCode.Accepted).Or.EqualTo(HttpStatusCode.OK), with.Text);
        }
    }

    [Test]
    public async Task Should_refuse_a_forged_session_and_a_revoked_keys_session()
    {
        var admin = _env.Api.Services.GetRequiredService<KeyAdmin>();
        var created = await admin.CreateAsync(new KeyRequest("console-temp", TenantIds.DefaultTenant, [Scopes.Read], null, null, null));
        // The API knows a new key once its table has the change (a publish, or the refresh).
        var (cookies, _, _) = await Eventually.WaitForAsync(() => LoginAsync(created.Key), l => l.Reply.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the API to know the new key");
        var session = cookies.Split("; ").Single(c => c.StartsWith(ConsoleSessions.SessionCookie, StringComparison.Ordinal));
        var forged = session[..^4] + (session.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var before = await SendAsync(HttpMethod.Get, "/functions", cookies);
        var tampered = await SendAsync(HttpMethod.Get, "/functions", forged);
        await admin.RevokeAsync(ApiKeySecret.IdOf(created.Key)!);
        var revoked = await Eventually.WaitForAsync(() => SendAsync(HttpMethod.Get, "/functions", cookies), r => r.Status != HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "the revocation to end the session");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.Status, Is.EqualTo(HttpStatusCode.OK), before.Text);
            Assert.That(tampered.Status, Is.EqualTo(HttpStatusCode.Unauthorized), tampered.Text);
            Assert.That(revoked.Status, Is.EqualTo(HttpStatusCode.Unauthorized), revoked.Text);
            Assert.That(revoked.Text, Does.Contain("revoked"));
        }
    }

    [TestCase("{}", HttpStatusCode.BadRequest, "key")]
    [TestCase("{\"key\":\"exs_0123456789ab_nope\"}", HttpStatusCode.Unauthorized, "not known")]
    public async Task Should_refuse_a_login_clearly(string body, HttpStatusCode expected, string words)
    {
        var before = await _env.SnapshotAsync(jobsOnly: true);
        var (_, setCookie, reply) = await LoginAsync(body: body);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((reply.Status, reply.MediaType), Is.EqualTo((expected, "application/problem+json")), reply.Text);
            Assert.That(reply.Text, Does.Contain(words));
            Assert.That(setCookie, Is.Empty, "no cookie for a refused login");
            Assert.That((await _env.SnapshotAsync(jobsOnly: true)).ChangesSince(before), Is.Empty);
        }
    }

    [Test]
    public async Task Should_feed_a_tenants_run_changes_to_that_tenants_pages_only()
    {
        var admin = _env.Api.Services.GetRequiredService<KeyAdmin>();
        var shop = (await admin.CreateAsync(new KeyRequest("feed-shop", "shop", [Scopes.Admin], ["shop-*"], null, null))).Key;
        var acme = (await admin.CreateAsync(new KeyRequest("feed-acme", "acme", [Scopes.Admin], null, null, null))).Key;
        using var shopFeed = await OpenFeedAsync(shop);
        using var acmeFeed = await OpenFeedAsync(acme);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/workflows")
        {
            Content = SysCmdHttp.Json("""{"from":"shop-a","job_id":"feed-run","nodes":{"a":{"cmd":"echo","data":1,"next":["end_job"]}}}"""),
        };
        request.Headers.Add("X-Api-Key", shop);
        using var submitted = await _raw.SendAsync(request);
        Assert.That(submitted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await submitted.Content.ReadAsStringAsync());

        var seen = await shopFeed.ReadUntilAsync(text => text.Contains("data: \"feed-run\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var acmeSaw = await acmeFeed.ReadUntilAsync(text => text.Contains("feed-run", StringComparison.Ordinal), TimeSpan.FromSeconds(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen, Does.Contain("event: run\ndata: \"feed-run\""), "the shop's page hears of its run, by the id it knows (not qualified)");
            Assert.That(acmeSaw, Does.Not.Contain("feed-run"), "another tenant hears nothing of it");
            Assert.That(_env.Api.Services.GetRequiredService<ConsoleFeed>().Viewers, Is.EqualTo(2));
        }
    }

    private static string CsrfOf(string cookies) =>
        cookies.Split("; ").Single(c => c.StartsWith(ConsoleSessions.CsrfCookie + "=", StringComparison.Ordinal))[(ConsoleSessions.CsrfCookie.Length + 1)..];

    private async Task<(string Cookies, IReadOnlyList<string> SetCookie, Reply Reply)> LoginAsync(string? key = null, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/api/session") { Content = SysCmdHttp.Json(body ?? $$"""{"key":"{{key}}"}""") };
        using var response = await _raw.SendAsync(request);
        var setCookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        var cookies = string.Join("; ", setCookie.Select(c => c.Split(';')[0]));
        return (cookies, setCookie, await Reply.ReadAsync(response));
    }

    private async Task<Reply> SendAsync(HttpMethod method, string path, string cookies, string? json = null, string? csrf = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookies);
        if (json is not null)
        {
            request.Content = SysCmdHttp.Json(json);
        }

        if (csrf is not null)
        {
            request.Headers.Add(ConsoleSessions.CsrfHeader, csrf);
        }

        using var response = await _raw.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    private async Task<Feed> OpenFeedAsync(string key)
    {
        await Eventually.WaitForAsync(async () =>
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, "/console/api/session");
            probe.Headers.Add("X-Api-Key", key);
            using var answer = await _raw.SendAsync(probe);
            return (await answer.Content.ReadAsStringAsync()).Contains("\"authenticated\":true", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "the API to know the new key");
        var request = new HttpRequestMessage(HttpMethod.Get, "/console/api/stream");
        request.Headers.Add("X-Api-Key", key);
        var response = await _raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var feed = new Feed(request, response, await response.Content.ReadAsStreamAsync());
        await feed.ReadUntilAsync(t => t.Contains(": connected", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        return feed;
    }

    /// <summary>An open event stream, read as text as it comes.</summary>
    private sealed class Feed(HttpRequestMessage request, HttpResponseMessage response, Stream body) : IDisposable
    {
        private readonly StringBuilder _text = new();
        private readonly byte[] _buffer = new byte[4096];
        private Task<int>? _pending;

        public async Task<string> ReadUntilAsync(Func<string, bool> done, TimeSpan timeout)
        {
            var deadline = Task.Delay(timeout);
            while (!done(_text.ToString()))
            {
                _pending ??= body.ReadAsync(_buffer).AsTask();
                if (await Task.WhenAny(_pending, deadline) == deadline)
                {
                    break;
                }

                var read = await _pending;
                _pending = null;
                if (read == 0)
                {
                    break;
                }

                _text.Append(Encoding.UTF8.GetString(_buffer, 0, read));
            }

            return _text.ToString();
        }

        public void Dispose()
        {
            body.Dispose();
            response.Dispose();
            request.Dispose();
        }
    }
}
