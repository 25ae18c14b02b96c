using System.Globalization;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Two controller processes at once (for high availability) must never run a node twice nor skip one.</summary>
[TestFixture]
public sealed class Running_fifty_workflows_under_two_controllers : On_the_shared_cluster
{
    private const string Chain = """
        {
          "c1": {"cmd": "sum", "data": 1, "next": ["c2"]},
          "c2": {"cmd": "sum", "data": 1, "next": ["c3"]},
          "c3": {"cmd": "sum", "data": 1, "next": ["c4"]},
          "c4": {"cmd": "sum", "data": 1, "next": ["c5"]},
          "c5": {"cmd": "sum", "data": 1, "next": ["end_job"]}
        }
        """;

    [Test]
    public async Task Should_run_every_node_of_every_run_exactly_once()
    {
        Assert.That(Cluster.ControllerCount, Is.EqualTo(2));
        var from = NewId("ha");

        // Run i gets data i. Diamond: a = 1 + i, b = 10 + a, c = 100 + a, d = b + c = 112 + 2i. Chain: c5 = 5 + i.
        var runs = Enumerable.Range(1, 50).Select(i => i % 2 == 0
            ? (Id: NewId("diamond"), Nodes: Running_a_diamond.Diamond, Data: i, Eoj: 112L + (2 * i), Count: 4)
            : (Id: NewId("chain"), Nodes: Chain, Data: i, Eoj: 5L + i, Count: 5)).ToList();

        var submitted = await Task.WhenAll(runs.Select(r =>
            Cluster.SubmitRunAsync(RunBody.Graph(from, r.Id, r.Nodes, dataJson: r.Data.ToString(CultureInfo.InvariantCulture)))));
        Assert.That(submitted.Where(s => s.Code != 202).Select(s => s.Text), Is.Empty, "every run is accepted");

        var finished = await Task.WhenAll(runs.Select(r => Cluster.WaitForRunAsync(from, r.Id)));

        using (Assert.EnterMultipleScope())
        {
            for (var i = 0; i < runs.Count; i++)
            {
                var (run, expected) = (finished[i], runs[i]);
                Assert.That((run.Phase, run.State), Is.EqualTo(("done", 3)), run.Text);
                Assert.That(run.Data.GetInt64(), Is.EqualTo(expected.Eoj), run.Text);
                Assert.That(run.Nodes, Has.Count.EqualTo(expected.Count), run.Text);
                Assert.That(run.Nodes.Where(n => n.State != 3 || n.Attempts != 1).Select(n => $"{n.Name}: {n.Status} x{n.Attempts}"), Is.Empty,
                    $"run {expected.Id}: every node ran exactly once");
            }

            // Both controllers (registered before the test, see SharedWorkflowCluster) were up the whole time.
            Assert.That(Cluster.Processes.Count(p => p.Role == ExeSysRole.Controller && !p.HasExited), Is.EqualTo(2));
        }
    }
}
