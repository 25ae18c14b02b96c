using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.Tests.Security;

/// <summary>
/// An API process on loopback, without keys in its configuration, started while Redis is away: until it has read the
/// key table it cannot know that keys exist, so it must not run open. It answers 503 with Retry-After meanwhile, and
/// once Redis is back it requires keys at once, not on its next refresh (set to a minute here, the longest allowed).
/// </summary>
[TestFixture]
public sealed class Starting_the_api_while_redis_is_away
{
    [Test]
    public async Task Should_answer_503_until_it_has_read_the_keys_and_never_serve_a_request_without_one()
    {
        await using var redis = await PersistentRedis.StartAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("unread"))
            .With("ExeSys:Redis:Connection", redis.Endpoint)
            .With("ExeSys:Redis:ConnectTimeoutMs", "1000")
            .With("ExeSys:Redis:OperationTimeoutMs", "1000")
            .With("ExeSys:Auth:RefreshInterval", "00:01:00");
        string key;
        await using (var first = new ExeSysApiFactory(settings))
        {
            _ = first.CreateClient();
            key = (await first.Services.GetRequiredService<KeyAdmin>().CreateAsync(new KeyRequest("ops", TenantIds.DefaultTenant, [Scopes.Read], null))).Key;
        }

        await redis.ShutdownAsync();
        await using var api = new ExeSysApiFactory(settings);
        using var client = api.CreateClient();
        var whileAway = await SysCmdHttp.GetAsync(client, "/functions");
        var live = await SysCmdHttp.GetAsync(client, "/health/live");

        await redis.StartAgainAsync();
        var seen = new List<int>();
        var refused = await Eventually.WaitForAsync(
            async () =>
            {
                var reply = await SysCmdHttp.GetAsync(client, "/functions");
                seen.Add(reply.Code);
                return reply;
            },
            r => r.Code == 401, TimeSpan.FromSeconds(30), "the API to read its keys once Redis is back");
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/functions");
        withKey.Headers.Add("X-Api-Key", key);
        using var served = await client.SendAsync(withKey);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((whileAway.Code, whileAway.RetryAfter, whileAway.MediaType), Is.EqualTo((503, "1", "application/problem+json")), whileAway.Text);
            Assert.That(live.Code, Is.EqualTo(200), "the anonymous liveness probe still answers: " + live.Text);
            Assert.That(seen, Has.None.EqualTo(200), "never open while keys exist: " + string.Join(", ", seen));
            Assert.That(refused.Code, Is.EqualTo(401), refused.Text);
            Assert.That((int)served.StatusCode, Is.EqualTo(200), "the key works");
        }
    }
}
