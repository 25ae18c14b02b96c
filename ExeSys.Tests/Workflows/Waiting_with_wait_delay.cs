using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// wait_delay finishes after its delay without holding a worker slot. The fixture's only worker runs one job at a
/// time, so a job that completes during the wait proves the slot was free.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Waiting_with_wait_delay : On_a_worker_with_one_slot
{
    private const int DelayMs = 1000;

    [Test]
    public async Task Should_finish_no_sooner_than_its_delay()
    {
        var (from, id) = (NewId("waiter"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, WaitFor(DelayMs)));

        var done = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((done.Phase, done.State), Is.EqualTo(("done", 3)), done.Text);
            Assert.That(done.Data.GetRawText(), Is.EqualTo($$"""{"waited_ms":{{DelayMs}}}"""), done.Text);
            Assert.That(done["pause"].Attempts, Is.EqualTo(1), "deferring does not count as an attempt: " + done.Text);
            Assert.That(done["pause"].Finished - done.Created, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(DelayMs)), done.Text);
        }
    }

    [Test]
    public async Task Should_leave_the_worker_free_to_run_other_jobs_while_it_waits()
    {
        // The wait is far longer than the echo job needs even on a loaded machine; the run is cancelled afterwards.
        var (from, id) = (NewId("waiter"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, WaitFor(60_000)));

        // Once claimed, the node defers itself: back in standby, its attempt not counted, and its slot free.
        var waiting = await Cluster.WaitForRunStateAsync(from, id, r => r["pause"].State == 1, "wait_delay to defer itself");
        var echoId = NewId("echo");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("bystander", echoId, "echo", "\"meanwhile\""));
        var echo = await Cluster.WaitForJobAsync("bystander", echoId);
        var stillWaiting = await Cluster.ReadRunAsync(from, id);
        await Cluster.PostAsync($"/workflows/{from}/{id}/cancel");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((waiting.Phase, waiting["pause"].Attempts), Is.EqualTo(("running", 0)), waiting.Text);
            Assert.That((echo.State, echo.Get("data").GetString()), Is.EqualTo((3, "meanwhile")), echo.Text);
            Assert.That((stillWaiting.Phase, stillWaiting["pause"].State), Is.EqualTo(("running", 1)),
                "the only worker slot ran the echo job while wait_delay waited: " + stillWaiting.Text);
        }
    }

    private static string WaitFor(int ms) => $$"""
        {
          "pause": {"cmd": "wait_delay", "data": {{ms}}, "next": ["end_job"]}
        }
        """;
}
