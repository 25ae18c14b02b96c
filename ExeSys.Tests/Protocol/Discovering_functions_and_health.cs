using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Discovering_functions_and_health : ApiFixture
{
    [Test]
    public async Task Should_list_the_functions_of_the_live_worker_with_its_id()
    {
        var reply = await GetAsync("/functions");

        var functions = reply.Body.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("workers").EnumerateArray().Select(w => w.GetString()).ToList());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(functions.Keys, Is.EquivalentTo(Env.Worker!.FunctionNames));
            Assert.That(functions.Keys, Is.SupersetOf(BuiltinFunctionNames.Original));
            Assert.That(functions.Values, Has.All.EquivalentTo(new[] { Env.Worker!.Id }));
        }
    }

    [Test]
    public async Task Should_be_live_without_touching_redis()
    {
        var reply = await GetAsync("/health/live");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(reply.Field("status"), Is.EqualTo("healthy"));
        }
    }

    [Test]
    public async Task Should_be_ready_and_count_the_live_worker()
    {
        var reply = await GetAsync("/health/ready");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Field("redis"), Is.EqualTo("ok"));
            Assert.That(reply.Get("workers").GetInt32(), Is.EqualTo(1));
            Assert.That(reply.Get("controllers").GetInt32(), Is.Zero);
        }
    }

    private static readonly string[] WaitAndOperation = ["wait", "Operation"];

    [Test]
    public async Task Should_describe_the_api_in_swagger()
    {
        var document = await GetAsync("/swagger/v1/swagger.json");
        using var ui = await Client.GetAsync(new Uri("/swagger/index.html", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(document.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(document.Get("paths").TryGetProperty("/sys_cmd", out _), Is.True);
            Assert.That(document.Get("paths").TryGetProperty("/jobs/{from}/{job_id}", out _), Is.True);
            var batch = document.Get("paths").GetProperty("/sys_cmd/batch").GetProperty("post");
            Assert.That(batch.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()), Is.EquivalentTo(WaitAndOperation),
                "the batch takes ?wait= and Operation; its services are not parameters");
            Assert.That(batch.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("type").GetString(), Is.EqualTo("array"));
            Assert.That(document.Text, Does.Contain("senatoremonti"), "Swagger should show request examples");
            var modules = document.Get("paths").GetProperty("/modules").GetProperty("get");
            Assert.That(modules.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("examples").GetRawText(),
                Does.Contain("still serving version 1.0.0").And.Contain("ModuleRemoveGrace"), "GET /modules shows a failed reload and a folder being replaced");
            Assert.That(ui.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }
}
