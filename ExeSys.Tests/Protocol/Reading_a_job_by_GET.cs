using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Reading_a_job_by_GET : ApiFixture
{
    [Test]
    public async Task Should_answer_404_with_problem_details_for_a_job_never_submitted()
    {
        var reply = await GetAsync($"/jobs/reader/{NewJobId()}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.NotFound), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Field("title"), Is.EqualTo("No such job"));
            Assert.That(reply.Field("detail"), Does.Contain("never submitted"));
        }
    }

    [Test]
    public async Task Should_answer_404_when_waiting_on_a_job_never_submitted()
    {
        var reply = await GetAsync($"/jobs/reader/{NewJobId()}?wait=1s");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.NotFound), reply.Text);
    }

    [Test]
    public async Task Should_give_the_same_reply_as_re_sending_the_command()
    {
        var id = NewJobId();
        var command = SysCmdHttp.Command("reader", id, "echo", """{"same":true}""", priority: "low");
        await PostAsync(command, "?wait=5s");

        var resent = await PostAsync(command);
        var read = await GetAsync($"/jobs/reader/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(read.Text, Is.EqualTo(resent.Text));
            Assert.That(read.Field("priority"), Is.EqualTo("low"));
        }
    }

    [Test]
    public async Task Should_answer_202_while_the_job_is_unfinished()
    {
        var id = NewJobId();
        await PostAsync(SysCmdHttp.Command("reader", id, "sleep", "2000"));

        var read = await GetAsync($"/jobs/reader/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.Accepted), read.Text);
            Assert.That(read.State, Is.AnyOf(0, 2));
            Assert.That(read.Location, Is.Null);
        }

        await WaitUntilFinishedAsync("reader", id);
    }
}
