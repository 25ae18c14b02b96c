using System.Net;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class When_redis_is_unreachable
{
    private ExeSysApiFactory _api = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Point_the_api_at_a_port_nobody_listens_on()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("down"))
            .With("ExeSys:Redis:Connection", $"127.0.0.1:{FreePort.Next()}")
            .With("ExeSys:Redis:ConnectTimeoutMs", "200")
            .With("ExeSys:Redis:OperationTimeoutMs", "500");
        _api = new ExeSysApiFactory(settings);
        _client = _api.CreateClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Test]
    public async Task Should_answer_a_command_with_503_and_Retry_After()
    {
        var reply = await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("c", "j1", "echo", "1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), reply.Text);
            Assert.That(reply.RetryAfter, Is.Not.Null.And.Not.Empty);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Field("detail"), Does.Contain("Redis"));
        }
    }

    [Test]
    public async Task Should_answer_a_read_with_503()
    {
        var reply = await SysCmdHttp.GetAsync(_client, "/jobs/c/j1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), reply.Text);
            Assert.That(reply.RetryAfter, Is.Not.Null.And.Not.Empty);
        }
    }

    [Test]
    public async Task Should_still_be_live_but_not_ready()
    {
        var live = await SysCmdHttp.GetAsync(_client, "/health/live");
        var ready = await SysCmdHttp.GetAsync(_client, "/health/ready");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(live.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), ready.Text);
            Assert.That(ready.Field("status"), Is.EqualTo("unhealthy"));
        }
    }

    /// <summary>
    /// Started while Redis is away, the API has not read its key table, so it cannot know whether keys exist: even a
    /// malformed command gets 503 then, never an answer as if the API were open. Once it has read the table, a later
    /// outage answers bad input with 400 again (Reliability/Losing_redis_for_a_while keeps the table read).
    /// </summary>
    [Test]
    public async Task Should_answer_even_a_malformed_command_with_503_until_it_has_read_its_keys()
    {
        var reply = await SysCmdHttp.PostAsync(_client, "{not json");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), reply.Text);
            Assert.That((reply.Field("title"), reply.RetryAfter), Is.EqualTo(("API keys not read yet", "1")));
        }
    }
}
