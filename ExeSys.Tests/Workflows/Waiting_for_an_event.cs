using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// wait_event finishes when a matching event is posted to POST /events, without holding a worker slot meanwhile. The
/// fixture's only worker runs one job at a time, so a job that completes during the wait proves the slot was free.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Waiting_for_an_event : On_a_worker_with_one_slot
{
    [Test]
    public async Task Should_finish_only_on_an_event_whose_data_matches_and_pass_it_to_the_next_node()
    {
        var (from, id, name) = (NewId("approval"), NewId("run"), NewId("approved"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, $$"""
            {
              "approve": {"cmd": "wait_event", "data": {"event": "{{name}}", "when": {"path": "order", "equals": 42} }, "next": ["ship"]},
              "ship": {"cmd": "echo", "data": "shipped", "next": ["end_job"]}
            }
            """));
        await Cluster.WaitForRunStateAsync(from, id, r => r["approve"].State == 1, "wait_event to defer itself");

        // The only slot is free while it waits.
        var echoId = NewId("echo");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("bystander", echoId, "echo", "\"meanwhile\""));
        var echo = await Cluster.WaitForJobAsync("bystander", echoId);

        var otherOrder = await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":{"order":41} }""");
        await Task.Delay(300);
        var afterOtherOrder = await Cluster.ReadRunAsync(from, id);
        var matching = await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":{"order":42,"by":"ops"} }""");
        var done = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((echo.State, echo.Get("data").GetString()), Is.EqualTo((3, "meanwhile")), echo.Text);
            Assert.That((otherOrder.Code, otherOrder.Get("delivered").GetArrayLength()), Is.EqualTo((200, 0)), otherOrder.Text);
            Assert.That((afterOtherOrder.Phase, afterOtherOrder["approve"].State), Is.EqualTo(("running", 1)), "an event whose data does not match is ignored: " + afterOtherOrder.Text);
            Assert.That(matching.Get("delivered").GetRawText(), Is.EqualTo($$"""[{"from":"approve","job_id":"{{id}}"}]"""), matching.Text);
            Assert.That((done.Phase, done.State, done.Data.GetString()), Is.EqualTo(("done", 3, "shipped")), done.Text);
            Assert.That(done["approve"].Attempts, Is.EqualTo(1), "waiting does not count as an attempt: " + done.Text);
        }

        var approve = await Cluster.GetAsync($"/jobs/approve/{id}");
        Assert.That(approve.Get("data").GetProperty("data").GetRawText(), Is.EqualTo("""{"order":42,"by":"ops"}"""), "the node's EOJ is the event: " + approve.Text);
    }

    [Test]
    public async Task Should_receive_an_event_posted_after_the_job_was_submitted_but_before_it_started_waiting()
    {
        // The wait node runs only after a 1 s sleep; the event is posted at once.
        var (from, id, name) = (NewId("early"), NewId("run"), NewId("signal"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, $$"""
            {
              "nap": {"cmd": "sleep", "data": 1000, "next": ["wait"]},
              "wait": {"cmd": "wait_event", "data": "{{name}}", "next": ["end_job"]}
            }
            """));
        var posted = await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":"go"}""");
        var done = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(posted.Get("delivered").GetArrayLength(), Is.Zero, "nobody waited yet: " + posted.Text);
            Assert.That((done.Phase, done.State), Is.EqualTo(("done", 3)), done.Text);
            Assert.That(done.Data.GetProperty("data").GetString(), Is.EqualTo("go"), done.Text);
        }
    }

    [Test]
    public async Task Should_not_see_an_event_posted_before_the_job_was_submitted()
    {
        var (id, name) = (NewId("late"), NewId("old"));
        await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":"stale"}""");
        await Task.Delay(20);
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("latecomer", id, "wait_event", $$"""{"event":"{{name}}","timeout_ms":500}"""));

        var failed = await Cluster.WaitForJobAsync("latecomer", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.State, Is.EqualTo(4), failed.Text);
            Assert.That(failed.Field("error"), Does.Contain($"no '{name}' event came within 500 ms"), failed.Text);
        }
    }

    [Test]
    public async Task Should_finish_a_single_job_with_the_event_it_waited_for()
    {
        var (id, name) = (NewId("single"), NewId("ping"));
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("pinger", id, "wait_event", $"\"{name}\""));
        await Eventually.WaitForAsync(() => Cluster.GetAsync($"/jobs/pinger/{id}"), r => r.State == 1, TimeSpan.FromSeconds(30), "wait_event to defer itself");

        var posted = await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":[1,2,3]}""");
        var again = await Cluster.PostAsync("/events", $$"""{"event":"{{name}}","data":"second"}""");
        var done = await Cluster.WaitForJobAsync("pinger", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(posted.Get("delivered").GetRawText(), Is.EqualTo($$"""[{"from":"pinger","job_id":"{{id}}"}]"""), posted.Text);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetProperty("data").GetRawText(), Is.EqualTo("[1,2,3]"), "the first event that reached it wins: " + done.Text);
            Assert.That(done.Get("data").GetProperty("event").GetString(), Is.EqualTo(name), done.Text);
            Assert.That(again.Code, Is.EqualTo(200), again.Text);
        }
    }

    [TestCase("""{"event":"bad:name","data":1}""", "event")]
    [TestCase("""{"data":1}""", "event")]
    [TestCase("""{"event":"ok","data":1,"extra":true}""", "extra")]
    public async Task Should_answer_400_naming_the_field_for_a_bad_event(string body, string field)
    {
        var reply = await Cluster.PostAsync("/events", body);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Code, Is.EqualTo(400), reply.Text);
            Assert.That(reply.Text, Does.Contain(field), reply.Text);
        }
    }

    [Test]
    public async Task Should_fail_a_wait_whose_condition_is_malformed_without_retrying()
    {
        var id = NewId("badwhen");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("waiter", id, "wait_event", """{"event":"x","when":{"path":"a","bigger":1}}"""));

        var failed = await Cluster.WaitForJobAsync("waiter", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.State, Is.EqualTo(4), failed.Text);
            Assert.That(failed.Field("error"), Does.Contain("wait_event: 'when' needs exactly one of"), failed.Text);
            Assert.That(failed.Attempts, Is.EqualTo(1), failed.Text);
        }
    }
}
