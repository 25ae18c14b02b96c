using System.Net;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Operator control: pause, resume, cancel one run, and cancel every active run of a client.</summary>
[TestFixture]
public sealed class Controlling_a_running_workflow : On_the_shared_cluster
{
    private static string SlowThenEcho(int sleepMs) => $$"""
        {
          "slow":  {"cmd": "sleep", "data": {{sleepMs}}, "next": ["after"]},
          "after": {"cmd": "echo", "data": "after ran", "next": ["end_job"]}
        }
        """;

    [Test]
    public async Task Should_start_no_new_node_while_paused_let_the_running_one_finish_and_finish_after_resume()
    {
        var (from, id) = (NewId("pause"), NewId("run"));
        // slow sleeps long enough for the pause to land while it runs, even on a loaded machine.
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, SlowThenEcho(3000)));
        await Cluster.WaitForRunStateAsync(from, id, r => r["slow"].State == 2, "slow to be running");

        var paused = await Cluster.PostAsync($"/workflows/{from}/{id}/pause");
        var whilePaused = await Cluster.WaitForRunStateAsync(from, id, r => r["slow"].State is 3 or 4, "the running node to finish while paused");

        var resumeSent = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var resumed = await Cluster.PostAsync($"/workflows/{from}/{id}/resume");
        var done = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.Status, Is.EqualTo(HttpStatusCode.OK), paused.Text);
            Assert.That((paused.Get("applied").GetBoolean(), paused.Field("phase")), Is.EqualTo((true, "paused")), paused.Text);

            Assert.That(whilePaused.Phase, Is.EqualTo("paused"), whilePaused.Text);
            Assert.That(whilePaused["slow"].Status, Is.EqualTo("data_available"), "the running node finishes: " + whilePaused.Text);
            Assert.That((whilePaused["after"].State, whilePaused["after"].Attempts, whilePaused["after"].Started), Is.EqualTo((1, 0, (DateTimeOffset?)null)),
                "the next node does not start while paused: " + whilePaused.Text);

            Assert.That((resumed.Get("applied").GetBoolean(), resumed.Field("phase")), Is.EqualTo((true, "running")), resumed.Text);
            Assert.That((done.Phase, done.State), Is.EqualTo(("done", 3)), done.Text);
            Assert.That(done.Data.GetString(), Is.EqualTo("after ran"), done.Text);
            Assert.That(done["after"].Attempts, Is.EqualTo(1), done.Text);
            Assert.That(done["after"].Started, Is.GreaterThanOrEqualTo(resumeSent), "the next node started only after resume: " + done.Text);
        }
    }

    [Test]
    public async Task Should_end_a_cancelled_run_in_state_4_and_never_start_its_waiting_nodes()
    {
        var (from, id) = (NewId("cancel"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, SlowThenEcho(10_000)));
        await Cluster.WaitForRunStateAsync(from, id, r => r["slow"].State == 2, "slow to be running");

        var cancelled = await Cluster.PostAsync($"/workflows/{from}/{id}/cancel");
        var runReply = await Cluster.GetAsync($"/jobs/{from}/{id}");
        // The running node is told to stop: it ends in error "cancelled" instead of finishing its sleep.
        var after = await Cluster.WaitForRunStateAsync(from, id, r => r["slow"].State is 3 or 4, "the running node to end");
        var resumeAfterCancel = await Cluster.PostAsync($"/workflows/{from}/{id}/resume");
        var resent = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, SlowThenEcho(10_000)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cancelled.Status, Is.EqualTo(HttpStatusCode.OK), cancelled.Text);
            Assert.That((cancelled.Get("applied").GetBoolean(), cancelled.Field("phase")), Is.EqualTo((true, "cancelled")), cancelled.Text);
            Assert.That((runReply.Code, runReply.State, runReply.Field("error")), Is.EqualTo((200, 4, "cancelled")), runReply.Text);

            Assert.That((after.Phase, after.State, after.Error), Is.EqualTo(("cancelled", 4, "cancelled")), after.Text);
            Assert.That(after["slow"].Error, Is.EqualTo("cancelled"), after.Text);
            Assert.That((after["after"].State, after["after"].Attempts, after["after"].Started), Is.EqualTo((1, 0, (DateTimeOffset?)null)),
                "a node that had not started never runs: " + after.Text);

            Assert.That(resumeAfterCancel.Get("applied").GetBoolean(), Is.False, resumeAfterCancel.Text);
            Assert.That((resent.Code, resent.State, resent.Field("error")), Is.EqualTo((200, 4, "cancelled")), resent.Text);
        }
    }

    [Test]
    public async Task Should_cancel_every_active_run_of_a_client_and_no_other()
    {
        var (client, other) = (NewId("tenant"), NewId("neighbour"));
        var ids = Enumerable.Range(0, 3).Select(_ => NewId("run")).ToList();
        var otherId = NewId("run");
        await Task.WhenAll(ids.Select(id => Cluster.SubmitRunAsync(RunBody.Graph(client, id, SlowThenEcho(10_000)))));
        await Cluster.SubmitRunAsync(RunBody.Graph(other, otherId, SlowThenEcho(500)));
        await Task.WhenAll(ids.Select(id => Cluster.WaitForRunStateAsync(client, id, r => r["slow"].State == 2, "slow to be running")));

        var reply = await Cluster.PostAsync($"/workflows/{client}/cancel");
        var runs = await Task.WhenAll(ids.Select(id =>
            Cluster.WaitForRunStateAsync(client, id, r => r["slow"].State is 3 or 4, "the running node to end")));
        var untouched = await Cluster.WaitForRunAsync(other, otherId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Get("cancelled").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(ids), reply.Text);
            foreach (var run in runs)
            {
                Assert.That((run.Phase, run.State, run.Error), Is.EqualTo(("cancelled", 4, "cancelled")), run.Text);
                Assert.That(run["slow"].Error, Is.EqualTo("cancelled"), run.Text);
                Assert.That(run["after"].Attempts, Is.Zero, run.Text);
            }

            Assert.That((untouched.Phase, untouched.State), Is.EqualTo(("done", 3)), "another client's run goes on: " + untouched.Text);
        }
    }
}
