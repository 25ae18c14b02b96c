using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Re_using_a_job_id_for_another_command : ApiFixture
{
    private const string From = "conflicted";
    private string _jobId = null!;
    private Reply _original = null!;

    [OneTimeSetUp]
    public async Task Run_the_original_job()
    {
        _jobId = NewJobId();
        await PostAsync(SysCmdHttp.Command(From, _jobId, "echo", """{"v":1}"""));
        _original = await WaitUntilFinishedAsync(From, _jobId);
    }

    private static IEnumerable<TestCaseData> Changes()
    {
        yield return new TestCaseData("test_cmd", "end_job", """{"v":1}""", "cmd").SetArgDisplayNames("a different cmd");
        yield return new TestCaseData("echo", "next_step", """{"v":1}""", "to").SetArgDisplayNames("a different to");
        yield return new TestCaseData("echo", "end_job", """{"v":2}""", "data").SetArgDisplayNames("different data");
        yield return new TestCaseData("echo", "end_job", "null", "data").SetArgDisplayNames("no data");
        yield return new TestCaseData("test_cmd", "other", "[]", "cmd").SetArgDisplayNames("everything different");
    }

    [TestCaseSource(nameof(Changes))]
    public async Task Should_answer_409_and_change_nothing(string cmd, string to, string data, string named)
    {
        var before = await Env.SnapshotAsync(jobsOnly: true);

        var reply = await PostAsync(SysCmdHttp.Command(From, _jobId, cmd, data, to));

        var after = await Env.SnapshotAsync(jobsOnly: true);
        var read = await PostAsync(SysCmdHttp.Command(From, _jobId, "echo", """{"v":1}"""));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Conflict), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Field("title"), Is.Not.Empty);
            Assert.That(reply.Field("detail"), Does.Contain(named));
            Assert.That(reply.Field("existing_cmd"), Is.EqualTo("echo"));
            Assert.That(reply.Field("existing_to"), Is.EqualTo("end_job"));
            Assert.That(reply.Text, Does.Not.Contain("data_available"), "a conflict must not look like a result");
            Assert.That(after.ChangesSince(before), Is.Empty);
            Assert.That(read.Text, Is.EqualTo(_original.Text), "the original job must be untouched");
        }
    }
}
