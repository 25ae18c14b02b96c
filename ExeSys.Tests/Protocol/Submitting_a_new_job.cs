using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Submitting_a_new_job : ApiFixture
{
    private Reply _reply = null!;

    [OneTimeSetUp]
    public async Task Submit() => _reply = await PostAsync(SysCmdHttp.Command("client-a", "job-1", "echo", """{"x":1}"""));

    [Test]
    public void Should_answer_202_with_state_0_or_2_when_an_idle_worker_took_it_at_once()
    {
        // Queued (0, no attempt yet), or, when the worker was waiting idle, already started by the submit itself
        // (2, its first attempt): job_submit.lua hands a new job straight to an idle worker.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_reply.Status, Is.EqualTo(HttpStatusCode.Accepted), _reply.Text);
            Assert.That((_reply.State, _reply.Resp, _reply.Attempts), Is.EqualTo((0, "start", 0)).Or.EqualTo((2, "processing", 1)));
        }
    }

    [Test]
    public void Should_echo_the_command_and_its_default_priority()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_reply.Field("from"), Is.EqualTo("client-a"));
            Assert.That(_reply.Field("job_id"), Is.EqualTo("job-1"));
            Assert.That(_reply.Field("to"), Is.EqualTo("end_job"));
            Assert.That(_reply.Field("cmd"), Is.EqualTo("echo"));
            Assert.That(_reply.Field("priority"), Is.EqualTo("normal"));
            Assert.That(_reply.Get("created").GetDateTimeOffset(), Is.EqualTo(_reply.Get("updated").GetDateTimeOffset()));
        }
    }

    [Test]
    public void Should_point_Location_and_poll_at_the_job()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_reply.Location?.ToString(), Is.EqualTo("/jobs/client-a/job-1"));
            Assert.That(_reply.Field("poll"), Is.EqualTo("/jobs/client-a/job-1"));
        }
    }

    [Test]
    public void Should_not_carry_data_or_error_before_the_job_finished()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_reply.Has("data"), Is.False);
            Assert.That(_reply.Has("error"), Is.False);
            Assert.That(_reply.Text, Does.Not.Contain("data_available"));
        }
    }
}
