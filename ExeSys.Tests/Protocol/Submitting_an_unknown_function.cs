using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Submitting_an_unknown_function : ApiFixture
{
    [Test]
    public async Task Should_answer_422_listing_the_known_functions_and_write_nothing()
    {
        var id = NewJobId();
        var before = await Env.SnapshotAsync(jobsOnly: true);

        var reply = await PostAsync(SysCmdHttp.Command("unknown", id, "no_such_function", "1"));

        var after = await Env.SnapshotAsync(jobsOnly: true);
        var read = await GetAsync($"/jobs/unknown/{id}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Field("title"), Is.EqualTo("Unknown function"));
            Assert.That(reply.Field("detail"), Does.Contain("no_such_function").And.Contain("test_cmd"));
            Assert.That(reply.Get("known_functions").EnumerateArray().Select(e => e.GetString()),
                Is.EquivalentTo(Env.Worker!.FunctionNames));
            Assert.That(after.ChangesSince(before), Is.Empty);
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }
}

[TestFixture]
public sealed class Submitting_with_no_worker_running : ApiFixture
{
    protected override bool WithWorker => false;

    [Test]
    public async Task Should_answer_422_saying_no_worker_is_running()
    {
        var before = await Env.SnapshotAsync();

        var reply = await PostAsync(SysCmdHttp.Command("lonely", NewJobId(), "echo", "1"));

        var after = await Env.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("no worker is running"));
            Assert.That(reply.Get("known_functions").GetArrayLength(), Is.Zero);
            Assert.That(after.ChangesSince(before), Is.Empty);
        }
    }
}
