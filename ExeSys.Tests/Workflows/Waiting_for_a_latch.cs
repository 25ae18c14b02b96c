using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// <c>wait_acquire</c>, <c>wait_release</c> and <c>wait_countdown</c> as single jobs and graph nodes, on the worker that
/// runs one job at a time: a countdown waiting for its latch holds no slot, so a job that completes during the wait
/// proves the slot was free.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Waiting_for_a_latch : On_a_worker_with_one_slot
{
    [Test]
    public async Task Should_finish_a_countdown_on_a_latch_at_zero_at_once()
    {
        var (id, latch) = (NewId("zero"), NewId("never-acquired"));
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("counter", id, "wait_countdown", $"\"{latch}\""));

        var done = await Cluster.WaitForJobAsync("counter", id);
        var status = await Cluster.StatusAsync("counter", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(done.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","count":0}"""), done.Text);
            Assert.That(status.ContainsKey("du"), Is.False, "it never deferred itself");
            Assert.That(await Cluster.Redis.GetDatabase().KeyExistsAsync(Cluster.Keys.LatchWaiters(latch)), Is.False, "and left no waiter");
        }
    }

    [Test]
    public async Task Should_hold_no_worker_slot_while_counting_down_and_wake_on_the_release_that_reaches_zero()
    {
        var (latch, holder) = (NewId("slot"), NewId("holder"));
        var acquired = await AcquireAsync(NewId("acquire"), $$"""{"name":"{{latch}}","holder":"{{holder}}"}""");
        var countdownId = NewId("countdown");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("counter", countdownId, "wait_countdown", $$"""{"name":"{{latch}}"}"""));
        await Cluster.WaitForJobAsync("counter", countdownId, r => r.State == 1, TimeSpan.FromSeconds(30), "wait_countdown to defer itself");
        var waiters = await Cluster.Redis.GetDatabase().SortedSetRangeByRankAsync(Cluster.Keys.LatchWaiters(latch));

        // The only slot is free while it waits.
        var echoId = NewId("echo");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("bystander", echoId, "echo", "\"meanwhile\""));
        var echo = await Cluster.WaitForJobAsync("bystander", echoId);
        var stillWaiting = await Cluster.GetJobAsync("counter", countdownId);

        var releaseId = NewId("release");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("releaser", releaseId, "wait_release", $$"""{"name":"{{latch}}","holder":"{{holder}}"}"""));
        var released = await Cluster.WaitForJobAsync("releaser", releaseId);
        var done = await Cluster.WaitForJobAsync("counter", countdownId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(acquired.Get("data").GetProperty("count").GetInt32(), Is.EqualTo(1), acquired.Text);
            Assert.That(waiters.Select(w => w.ToString()), Is.EqualTo(new[] { $"counter:{countdownId}" }), "the countdown registered as the latch's waiter");
            Assert.That((echo.State, echo.Get("data").GetString()), Is.EqualTo((3, "meanwhile")), echo.Text);
            Assert.That(stillWaiting.State, Is.EqualTo(1), stillWaiting.Text);
            Assert.That(released.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","holder":"{{holder}}","count":0,"released":true,"woken":1}"""), released.Text);
            Assert.That((done.State, done.Get("data").GetProperty("count").GetInt32()), Is.EqualTo((3, 0)), done.Text);
            Assert.That(done.Attempts, Is.EqualTo(1), "waiting does not count as an attempt: " + done.Text);
        }
    }

    [Test]
    public async Task Should_count_a_holder_once_however_often_its_acquire_is_sent_or_run()
    {
        var latch = NewId("once");
        var firstId = NewId("acquire");
        var command = SysCmdHttp.Command("acquirer", firstId, "wait_acquire", $"\"{latch}\"");
        await SysCmdHttp.PostAsync(Cluster.Client, command);
        var first = await Cluster.WaitForJobAsync("acquirer", firstId);
        var resent = await SysCmdHttp.PostAsync(Cluster.Client, command);
        // Another job acquiring for the same holder, as a re-run of the first would.
        var rerun = await AcquireAsync(NewId("rerun"), $$"""{"name":"{{latch}}","holder":"{{firstId}}"}""");
        var other = await AcquireAsync(NewId("other"), $"\"{latch}\"");

        var releaseFirst = await ReleaseAsync($$"""{"name":"{{latch}}","holder":"{{firstId}}"}""");
        var releaseFirstAgain = await ReleaseAsync($$"""{"name":"{{latch}}","holder":"{{firstId}}"}""");
        var holders = await Cluster.Redis.GetDatabase().SortedSetRangeByRankAsync(Cluster.Keys.LatchHolders(latch));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","holder":"{{firstId}}","count":1,"acquired":true}"""), first.Text);
            Assert.That(resent.Code, Is.EqualTo(200), "a re-sent command is answered from the job it already made: " + resent.Text);
            Assert.That((rerun.Get("data").GetProperty("count").GetInt32(), rerun.Get("data").GetProperty("acquired").GetBoolean()), Is.EqualTo((1, false)), rerun.Text);
            Assert.That(other.Get("data").GetProperty("count").GetInt32(), Is.EqualTo(2), "another holder counts: " + other.Text);
            Assert.That((releaseFirst.Get("data").GetProperty("count").GetInt32(), releaseFirst.Get("data").GetProperty("released").GetBoolean()), Is.EqualTo((1, true)), releaseFirst.Text);
            Assert.That((releaseFirstAgain.Get("data").GetProperty("count").GetInt32(), releaseFirstAgain.Get("data").GetProperty("released").GetBoolean()), Is.EqualTo((1, false)), "a second release of the same holder changes nothing: " + releaseFirstAgain.Text);
            Assert.That(holders.Select(h => h.ToString()), Is.EqualTo(new[] { other.Get("data").GetProperty("holder").GetString() }));
        }
    }

    [TestCase("\"bad:name\"", "the latch name \"bad:name\" is not valid: 'name' contains the character ':' at position 3")]
    [TestCase("\"\"", "'name' must not be empty")]
    [TestCase("{\"name\":\"run-{start_job.id}\"}", "the placeholder {start_job.id} in the latch name names no input: this job has no input")]
    [TestCase("{\"name\":\"run-{id\"}", "opens a placeholder at position 4 that is never closed")]
    [TestCase("{\"name\":\"ok\",\"hold\":5}", "unknown field 'hold'")]
    [TestCase("{\"name\":\"ok\",\"hold_ms\":0}", "'hold_ms' must be a whole number of milliseconds from 1 to")]
    [TestCase("{\"name\":\"ok\",\"holder\":\"a b\"}", "'holder' contains the character U+0020")]
    [TestCase("42", "wait_acquire needs data to be a latch name")]
    public async Task Should_fail_an_acquire_with_bad_data_clearly_and_without_retrying(string dataJson, string error)
    {
        var id = NewId("bad");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("acquirer", id, "wait_acquire", dataJson));

        var failed = await Cluster.WaitForJobAsync("acquirer", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.State, Is.EqualTo(4), failed.Text);
            Assert.That(failed.Field("error"), Does.Contain(error), failed.Text);
            Assert.That(failed.Attempts, Is.EqualTo(1), failed.Text);
        }
    }

    [Test]
    public async Task Should_fail_a_node_whose_templated_name_finds_nothing_in_its_input()
    {
        var (from, id) = (NewId("templated"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, """
            {
              "first": {"cmd": "echo", "data": {"n": [7]}, "next": ["count"]},
              "count": {"cmd": "wait_countdown", "data": "part-{first.n.0}-{first.missing}", "next": ["end_job"]}
            }
            """));

        var done = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.State, Is.EqualTo(4), done.Text);
            Assert.That(done["count"].Error, Does.Contain("wait_countdown: the placeholder {first.missing} in the latch name finds nothing in the input 'first'"), done.Text);
        }
    }

    private async Task<Reply> AcquireAsync(string id, string dataJson)
    {
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("acquirer", id, "wait_acquire", dataJson));
        return await Cluster.WaitForJobAsync("acquirer", id);
    }

    private async Task<Reply> ReleaseAsync(string dataJson)
    {
        var id = NewId("release");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("releaser", id, "wait_release", dataJson));
        return await Cluster.WaitForJobAsync("releaser", id);
    }
}
