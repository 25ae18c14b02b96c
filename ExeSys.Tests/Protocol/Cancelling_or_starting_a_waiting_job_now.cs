using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

/// <summary>
/// POST /jobs/{from}/{job_id}/cancel and /run-now on the real pipeline (an in-process worker, a real redis-server):
/// an operator cancels a job that waits, or starts one that waits for its time now. A retry's backoff here is 30
/// minutes and a delay an hour, so only the action can have started them within the test.
/// </summary>
[TestFixture]
public sealed class Cancelling_or_starting_a_waiting_job_now : ApiFixture
{
    private const string From = "operator-test";

    private Task<Reply> ActAsync(string jobId, string action, string from = From) =>
        KeyedHttp.SendAsync(Client, null, HttpMethod.Post, $"/jobs/{from}/{jobId}/{action}", null);

    private static string Delayed(string jobId, string cmd = "echo", string data = "1") => SysCmdHttp.Delayed(From, jobId, cmd, data, "1h");

    private async Task<Reply> WaitForStateAsync(string jobId, int state) =>
        await Eventually.WaitForAsync(() => GetAsync($"/jobs/{From}/{jobId}"), r => r.State == state, TimeSpan.FromSeconds(20), $"{jobId} in state {state}");

    [Test]
    public async Task Should_run_a_delayed_job_now()
    {
        var id = NewJobId();
        Assert.That((await PostAsync(Delayed(id))).State, Is.EqualTo(1));

        var action = await ActAsync(id, "run-now");
        var done = await WaitUntilFinishedAsync(From, id);
        Assert.Multiple(() =>
        {
            Assert.That(action.Code, Is.EqualTo(200), action.Text);
            Assert.That(action.Get("applied").GetBoolean(), Is.True);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Attempts, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_retry_a_node_in_its_backoff_now_and_count_each_attempt()
    {
        // Each attempt of the node times out (a retryable failure) and waits 30 minutes before the next.
        var run = "retry-" + NewJobId();
        var submitted = await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/workflows",
            $$"""{"from":"{{From}}","job_id":"{{run}}","nodes":{"slow":{"cmd":"sleep","data":5000,"timeout":"200ms","retry":{"max_attempts":3,"backoff":"30m"},"next":["end_job"]} } }""");
        Assert.That(submitted.Code, Is.LessThan(300), submitted.Text);
        Task<Reply> Node() => GetAsync($"/jobs/slow/{run}");
        var first = await Eventually.WaitForAsync(Node, r => r.State == 1 && r.Attempts == 1, TimeSpan.FromSeconds(20), "the first attempt to time out");

        var retried = await ActAsync(run, "run-now", "slow");
        var second = await Eventually.WaitForAsync(Node, r => r.State == 1 && r.Attempts == 2, TimeSpan.FromSeconds(20), "the second attempt to time out");
        Assert.That((await ActAsync(run, "run-now", "slow")).Code, Is.EqualTo(200));
        var last = await Eventually.WaitForAsync(Node, r => r.State == 4, TimeSpan.FromSeconds(20), "the last attempt to fail");
        var ended = await Eventually.WaitForAsync(() => GetAsync($"/jobs/{From}/{run}"), r => r.State == 4, TimeSpan.FromSeconds(20), "the run to fail");

        Assert.Multiple(() =>
        {
            Assert.That(first.Has("retry_at"), Is.True, first.Text);
            Assert.That(retried.Code, Is.EqualTo(200), retried.Text);
            Assert.That(retried.Get("applied").GetBoolean(), Is.True);
            Assert.That(second.Has("retry_at"), Is.True, second.Text);
            Assert.That(last.Attempts, Is.EqualTo(3), "every attempt is counted, and no more than the node's max_attempts");
            Assert.That(last.Get("errors").GetArrayLength(), Is.EqualTo(3), last.Text);
            Assert.That(ended.Field("error"), Does.Contain("slow"), ended.Text);
        });
    }

    [Test]
    public async Task Should_cancel_a_delayed_job_answer_its_long_poll_and_never_run_it()
    {
        var id = NewJobId();
        await PostAsync(Delayed(id, "fail", """{"message":"must never run"}"""));
        var waiting = GetAsync($"/jobs/{From}/{id}?wait=20s");
        await Task.Delay(300);

        var cancel = await ActAsync(id, "cancel");
        var answered = await waiting;
        var again = await ActAsync(id, "cancel");
        var runNow = await ActAsync(id, "run-now");
        await Task.Delay(500);
        var after = await GetAsync($"/jobs/{From}/{id}");
        Assert.Multiple(() =>
        {
            Assert.That(cancel.Code, Is.EqualTo(200), cancel.Text);
            Assert.That(cancel.Get("status").GetString(), Is.EqualTo("error"));
            Assert.That(answered.State, Is.EqualTo(4), "the long-poll is answered by the cancel");
            Assert.That(answered.Field("error"), Does.StartWith("cancelled by"), answered.Text);
            Assert.That((again.Code, again.Get("applied").GetBoolean()), Is.EqualTo((200, false)), again.Text);
            Assert.That((runNow.Code, runNow.Get("applied").GetBoolean()), Is.EqualTo((200, false)), runNow.Text);
            Assert.That(after.State, Is.EqualTo(4));
            Assert.That(after.Attempts, Is.Zero, "it never started");
            Assert.That(after.Field("error"), Does.StartWith("cancelled by"));
        });
    }

    [Test]
    public async Task Should_cancel_a_step_waiting_for_its_predecessor_and_fail_the_rest_of_its_chain()
    {
        // The original step protocol: b waits for a (never submitted here), c waits for b.
        var id = NewJobId();
        await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("b", id, "echo", "1", to: "c"), workflowStep: true);
        await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/sys_cmd", SysCmdHttp.Command("c", id, "echo", "1"), workflowStep: true);

        var cancel = await ActAsync(id, "cancel", "b");
        var c = await GetAsync($"/jobs/c/{id}");
        Assert.Multiple(() =>
        {
            Assert.That(cancel.Code, Is.EqualTo(200), cancel.Text);
            Assert.That(c.State, Is.EqualTo(4), c.Text);
            Assert.That(c.Field("error"), Does.Contain("step b failed: cancelled by"));
        });
    }

    [Test]
    public async Task Should_refuse_a_running_job_and_a_graph_node_with_409_and_leave_them_unchanged()
    {
        var running = NewJobId();
        await PostAsync(SysCmdHttp.Command(From, running, "sleep", "3000"));
        await WaitForStateAsync(running, 2);
        var run = "run-" + NewJobId();
        var submitted = await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/workflows",
            $$"""{"from":"{{From}}","job_id":"{{run}}","nodes":{"slow":{"cmd":"sleep","data":3000,"next":["later"]},"later":{"cmd":"echo","next":["end_job"]} } }""");
        Assert.That(submitted.Code, Is.LessThan(300), submitted.Text);
        var db = TestRedis.Connection.GetDatabase();
        var keys = new RedisKeys(Env.Prefix);
        var before = await db.HashGetAllAsync(keys.Status(new JobRef(From, running)));
        var nodeBefore = await db.HashGetAllAsync(keys.Status(new JobRef("later", run)));

        var cancelRunning = await ActAsync(running, "cancel");
        var runNowRunning = await ActAsync(running, "run-now");
        var cancelNode = await ActAsync(run, "cancel", "later");
        var cancelRun = await ActAsync(run, "cancel");
        var unknown = await ActAsync(NewJobId(), "cancel");
        var badRoute = await ActAsync("a%20b", "run-now");

        var after = await db.HashGetAllAsync(keys.Status(new JobRef(From, running)));
        var nodeAfter = await db.HashGetAllAsync(keys.Status(new JobRef("later", run)));
        Assert.Multiple(() =>
        {
            Assert.That(cancelRunning.Code, Is.EqualTo(409), cancelRunning.Text);
            Assert.That(cancelRunning.Field("detail"), Does.Contain("/stop"));
            Assert.That(runNowRunning.Code, Is.EqualTo(409), runNowRunning.Text);
            Assert.That(cancelNode.Code, Is.EqualTo(409), cancelNode.Text);
            Assert.That(cancelNode.Field("detail"), Does.Contain("/workflows/"));
            Assert.That(cancelRun.Code, Is.EqualTo(409), cancelRun.Text);
            Assert.That(unknown.Code, Is.EqualTo(404), unknown.Text);
            Assert.That(badRoute.Code, Is.EqualTo(400), badRoute.Text);
            Assert.That(after.OrderBy(e => (string)e.Name!), Is.EqualTo(before.OrderBy(e => (string)e.Name!)), "the running job is unchanged");
            Assert.That(nodeAfter.OrderBy(e => (string)e.Name!), Is.EqualTo(nodeBefore.OrderBy(e => (string)e.Name!)), "the node is unchanged");
        });
    }
}
