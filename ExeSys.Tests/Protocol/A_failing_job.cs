using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class A_failing_job : ApiFixture
{
    [Test]
    public async Task Should_end_in_state_4_with_a_readable_error()
    {
        var id = NewJobId();
        var command = SysCmdHttp.Command("failer", id, "test_error_cmd", "\"anything\"");
        await PostAsync(command);
        await WaitUntilFinishedAsync("failer", id);

        var reply = await PostAsync(command);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.State, Is.EqualTo(4));
            Assert.That(reply.Resp, Is.EqualTo("error"));
            Assert.That(reply.Field("error"), Is.EqualTo("test_error_cmd raised an error, as it always does."));
            Assert.That(reply.Has("data"), Is.False);
            Assert.That(reply.Text, Does.Not.Contain("data_available"));
            Assert.That(reply.Attempts, Is.EqualTo(1), "a failed job is not retried");
        }
    }

    [Test]
    public async Task Should_report_the_message_the_function_failed_with()
    {
        var id = NewJobId();
        await PostAsync(SysCmdHttp.Command("failer", id, "fail", """{"message":"disk full on /dev/sda1"}"""));

        var reply = await WaitUntilFinishedAsync("failer", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.State, Is.EqualTo(4));
            Assert.That(reply.Field("error"), Is.EqualTo("disk full on /dev/sda1"));
        }
    }

    [Test]
    public async Task Should_say_what_input_a_function_expected()
    {
        var id = NewJobId();
        await PostAsync(SysCmdHttp.Command("failer", id, "test_cmd_workflow", "\"not an array\""));

        var reply = await WaitUntilFinishedAsync("failer", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.State, Is.EqualTo(4));
            Assert.That(reply.Field("error"), Does.Contain("array"));
        }
    }
}
