using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Waiting_for_the_result : ApiFixture
{
    [Test]
    public async Task Should_return_the_EOJ_of_a_new_job_in_one_call()
    {
        var reply = await PostAsync(SysCmdHttp.Command("waiter", NewJobId(), "test_cmd", "\"senatoremonti\""), "?wait=5s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Resp, Is.EqualTo("data_available"));
            Assert.That(reply.Get("data").GetString(), Is.EqualTo("senatoremonti"));
            Assert.That(reply.Attempts, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_return_the_EOJ_through_GET()
    {
        var id = NewJobId();
        await PostAsync(SysCmdHttp.Command("waiter", id, "sleep", "200"));

        var reply = await GetAsync($"/jobs/waiter/{id}?wait=5s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.State, Is.EqualTo(3));
            Assert.That(reply.Get("data").GetProperty("slept_ms").GetInt32(), Is.EqualTo(200));
        }
    }

    [Test]
    public async Task Should_answer_202_with_the_current_state_when_the_wait_runs_out()
    {
        var id = NewJobId();
        var reply = await PostAsync(SysCmdHttp.Command("waiter", id, "sleep", "3000"), "?wait=100ms");
        var get = await GetAsync($"/jobs/waiter/{id}?wait=100ms");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Accepted), reply.Text);
            Assert.That(reply.State, Is.AnyOf(0, 2));
            Assert.That(get.Status, Is.EqualTo(HttpStatusCode.Accepted), get.Text);
            Assert.That(get.State, Is.AnyOf(0, 2));
        }

        await WaitUntilFinishedAsync("waiter", id);
    }

    [TestCase("0")]
    [TestCase("0s")]
    [TestCase("250ms")]
    [TestCase("1.5s")]
    [TestCase("0.1m")]
    [TestCase("2")]
    public async Task Should_accept_the_wait_format(string wait)
    {
        var reply = await PostAsync(SysCmdHttp.Command("waiter", NewJobId(), "echo", "1"), $"?wait={wait}");

        Assert.That(reply.Code, Is.AnyOf(200, 202), reply.Text);
    }

    [Test]
    public async Task Should_answer_at_once_for_a_finished_job()
    {
        var id = NewJobId();
        var command = SysCmdHttp.Command("waiter", id, "echo", "\"done\"");
        await PostAsync(command, "?wait=5s");

        var again = await PostAsync(command, "?wait=30s");

        Assert.That(again.Get("data").GetString(), Is.EqualTo("done"), again.Text);
    }
}
