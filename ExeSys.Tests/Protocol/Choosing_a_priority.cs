using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Choosing_a_priority : ApiFixture
{
    [TestCase("high")]
    [TestCase("normal")]
    [TestCase("low")]
    public async Task Should_accept_and_report_the_priority(string priority)
    {
        var reply = await PostAsync(SysCmdHttp.Command("prio", NewJobId(), "echo", "1", priority: priority));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Accepted), reply.Text);
            Assert.That(reply.Field("priority"), Is.EqualTo(priority));
        }
    }

    [Test]
    public async Task Should_take_a_null_priority_as_normal()
    {
        var id = NewJobId();
        var reply = await PostAsync($$"""{"from":"prio","to":"end_job","cmd":"echo","data":1,"job_id":"{{id}}","priority":null}""");

        Assert.That(reply.Field("priority"), Is.EqualTo("normal"), reply.Text);
    }

    [TestCase("\"urgent\"")]
    [TestCase("\"HIGH\"")]
    [TestCase("\"\"")]
    [TestCase("0")]
    [TestCase("true")]
    [TestCase("[\"high\"]")]
    public async Task Should_refuse_an_invalid_priority_naming_the_choices(string priorityJson)
    {
        var id = NewJobId();
        var reply = await PostAsync($$"""{"from":"prio","to":"end_job","cmd":"echo","data":1,"job_id":"{{id}}","priority":{{priorityJson}}}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.Get("errors").GetProperty("priority")[0].GetString(), Does.Contain("\"high\", \"normal\" or \"low\""));
            Assert.That((await GetAsync($"/jobs/prio/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }
}
