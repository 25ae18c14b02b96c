using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// A run's "priority" orders its nodes in the queue, as it orders a single job. The only worker runs one job at a
/// time, so the order the queue hands out jobs is the order they run in.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Running_a_high_priority_workflow : On_a_worker_with_one_slot
{
    private const string Hold = """{"hold": {"cmd": "sleep", "data": 60000, "next": ["end_job"]}}""";

    private const string TwoSteps = """
        {
          "first":  {"cmd": "echo", "data": 1, "next": ["second"]},
          "second": {"cmd": "echo", "data": 2, "next": ["end_job"]}
        }
        """;

    [Test]
    public async Task Should_queue_every_node_ahead_of_normal_jobs_not_only_its_start_nodes()
    {
        // The worker's slot is taken until the holding run is cancelled, so everything below queues up behind it.
        var (holder, holdId) = (NewId("holder"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(holder, holdId, Hold));
        await Cluster.WaitForRunStateAsync(holder, holdId, r => r["hold"].State == 2, "the holding node to take the only slot");

        var (from, id) = (NewId("urgent"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, TwoSteps, priority: "high"));
        var normal = Enumerable.Range(0, 3).Select(_ => NewId("normal")).ToList();
        foreach (var jobId in normal)
        {
            await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("bystander", jobId, "echo", "\"normal\""));
        }

        var queued = await Cluster.ReadRunAsync(holder, holdId);
        await Cluster.PostAsync($"/workflows/{holder}/{holdId}/cancel");

        var run = await Cluster.WaitForRunAsync(from, id);
        var normalDone = await Task.WhenAll(normal.Select(jobId => Cluster.WaitForJobAsync("bystander", jobId)));
        var firstNormalFinished = normalDone.Min(r => r.Get("updated").GetDateTimeOffset());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(queued["hold"].State, Is.EqualTo(2), "the slot was still taken when the normal jobs were queued: " + queued.Text);
            Assert.That((run.Phase, run.Data.GetInt32()), Is.EqualTo(("done", 2)), run.Text);
            Assert.That(run["first"].Finished, Is.LessThanOrEqualTo(firstNormalFinished), "the high run's start node ran before the normal jobs: " + run.Text);
            // second is queued when first finishes, after the normal jobs were queued; high priority puts it ahead of them.
            Assert.That(run["second"].Finished, Is.LessThanOrEqualTo(firstNormalFinished),
                "the high run's second node ran before the normal jobs queued earlier: " + run.Text);
        }
    }
}
