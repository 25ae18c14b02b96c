using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Bounds;

/// <summary>
/// Named definitions live in one Redis hash that every API shares, so their number and size are bounded
/// (ExeSys:Api:MaxDefinitions, MaxDefinitionBytes): a definition over a bound gets a 4xx ProblemDetails that names the
/// setting, and Redis is unchanged. Replacing a stored name and deleting one keep working at the bound.
/// </summary>
[TestFixture]
public sealed class Bounding_named_workflow_definitions : ApiFixture
{
    private const string Small = """{"nodes":{"only":{"cmd":"echo","data":1,"next":["end_job"]}}}""";

    protected override bool WithWorker => false;

    protected override TestSettings Configure(TestSettings settings) =>
        settings.With("ExeSys:Api:MaxDefinitions", "2").With("ExeSys:Api:MaxDefinitionBytes", "2048");

    [Test]
    public async Task Should_refuse_a_definition_over_the_byte_bound_with_413_and_leave_redis_unchanged()
    {
        var big = Small.Replace("\"data\":1", $"\"data\":\"{new string('x', 4000)}\"", StringComparison.Ordinal);
        var before = await Env.SnapshotAsync();

        var reply = await PutAsync("/workflows/definitions/too-big", big);

        var changes = (await Env.SnapshotAsync()).ChangesSince(before);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Code, Is.EqualTo(413), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("ExeSys:Api:MaxDefinitionBytes"), reply.Text);
            Assert.That(changes, Is.Empty, "Redis unchanged");
        }
    }

    [Test]
    public async Task Should_refuse_a_new_name_over_the_count_bound_with_409_and_still_replace_and_delete()
    {
        var first = await PutAsync("/workflows/definitions/first", Small);
        var second = await PutAsync("/workflows/definitions/second", Small);
        var before = await Env.SnapshotAsync();

        var third = await PutAsync("/workflows/definitions/third", Small);

        var changes = (await Env.SnapshotAsync()).ChangesSince(before);
        var replaced = await PutAsync("/workflows/definitions/second", Small.Replace("\"data\":1", "\"data\":2", StringComparison.Ordinal));
        var deleted = await SendAsync(HttpMethod.Delete, "/workflows/definitions/first", null);
        var deletedAgain = await SendAsync(HttpMethod.Delete, "/workflows/definitions/first", null);
        var thirdAfterDelete = await PutAsync("/workflows/definitions/third", Small);
        var list = await GetAsync("/workflows/definitions");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((first.Status, second.Status), Is.EqualTo((HttpStatusCode.NoContent, HttpStatusCode.NoContent)), first.Text + second.Text);
            Assert.That(third.Code, Is.EqualTo(409), third.Text);
            Assert.That(third.Field("detail"), Does.Contain("ExeSys:Api:MaxDefinitions"), third.Text);
            Assert.That(changes, Is.Empty, "Redis unchanged by the refused definition");
            Assert.That(replaced.Status, Is.EqualTo(HttpStatusCode.NoContent), "a stored name may be replaced at the bound: " + replaced.Text);
            Assert.That((deleted.Status, deletedAgain.Code), Is.EqualTo((HttpStatusCode.NoContent, 404)), deleted.Text + deletedAgain.Text);
            Assert.That(thirdAfterDelete.Status, Is.EqualTo(HttpStatusCode.NoContent), thirdAfterDelete.Text);
            Assert.That((list.Has("first"), list.Has("second"), list.Has("third")), Is.EqualTo((false, true, true)), list.Text);
            Assert.That(list.Get("second").GetProperty("nodes").GetProperty("only").GetProperty("data").GetInt32(), Is.EqualTo(2), list.Text);
        }
    }

    private Task<Reply> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json);

    private async Task<Reply> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = SysCmdHttp.Json(json);
        }

        using var response = await Client.SendAsync(request);
        return await Reply.ReadAsync(response);
    }
}
