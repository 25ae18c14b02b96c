using System.Text.Json;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Conditional edges: a node runs if an edge into it was taken, and is skipped (with what follows) otherwise.</summary>
[TestFixture]
public sealed class Taking_a_conditional_branch : On_the_shared_cluster
{
    // check returns {"status": "ok", "n": 3}: the edge to approve holds, the edge to reject does not.
    private const string TwoEnds = """
        {
          "check":   {"cmd": "echo", "data": {"status": "ok", "n": 3},
                      "next": [{"to": "approve", "when": {"path": "status", "equals": "ok"}},
                               {"to": "reject",  "when": {"path": "status", "equals": "bad"}}]},
          "approve": {"cmd": "sum", "data": 10,    "next": ["notify"]},
          "notify":  {"cmd": "sum", "data": 100,   "next": ["end_job"]},
          "reject":  {"cmd": "sum", "data": 1000,  "next": ["archive"]},
          "archive": {"cmd": "sum", "data": 10000, "next": ["end_job"]}
        }
        """;

    private const string Join = """
        {
          "check":   {"cmd": "echo", "data": {"status": "ok", "n": 3},
                      "next": [{"to": "small", "when": {"path": "n", "lte": 5}},
                               {"to": "large", "when": {"path": "n", "gt": 5}}]},
          "small":   {"cmd": "sum", "data": 10,   "next": ["merge"]},
          "large":   {"cmd": "sum", "data": 1000, "next": ["after"]},
          "after":   {"cmd": "sum", "data": 1,    "next": ["merge"]},
          "merge":   {"cmd": "sum", "data": 0,    "next": ["end_job"]}
        }
        """;

    private static readonly string[] CheckLeadsTo = ["approve", "reject"];

    [Test]
    public async Task Should_run_only_the_taken_side_and_skip_the_other_side_and_its_descendants()
    {
        var (from, id) = (NewId("branch"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, TwoEnds));

        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Phase, run.State), Is.EqualTo(("done", 3)), run.Text);
            // Both notify and archive lead to end_job, so the EOJ is keyed by node, and holds only the one that ran.
            Assert.That(run.Data.GetRawText(), Is.EqualTo("""{"notify":110}"""), run.Text);
            foreach (var ran in new[] { "check", "approve", "notify" })
            {
                Assert.That((run[ran].State, run[ran].Status, run[ran].Attempts, run[ran].Skipped), Is.EqualTo((3, "data_available", 1, false)), ran);
            }

            foreach (var skipped in new[] { "reject", "archive" })
            {
                Assert.That((run[skipped].Status, run[skipped].Skipped, run[skipped].Attempts), Is.EqualTo(("skipped", true, 0)), skipped);
                Assert.That(run[skipped].Started, Is.Null, skipped + " never started");
                Assert.That(run[skipped].Error, Is.Null, "a skip is not an error");
            }
        }
    }

    [Test]
    public async Task Should_run_a_join_reached_by_the_taken_side_only()
    {
        var (from, id) = (NewId("branch"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Join));

        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Phase, run.State), Is.EqualTo(("done", 3)), run.Text);
            // merge sums only small's 10: the skipped side gives it no input.
            Assert.That(run.Data.GetInt64(), Is.EqualTo(10), run.Text);
            Assert.That(run["merge"].Attempts, Is.EqualTo(1), run.Text);
            Assert.That(run["small"].Attempts, Is.EqualTo(1), run.Text);
            Assert.That(new[] { run["large"].Status, run["after"].Status }, Is.All.EqualTo("skipped"), run.Text);
            Assert.That(new[] { run["large"].Attempts, run["after"].Attempts }, Is.All.Zero, run.Text);
        }
    }

    [Test]
    public async Task Should_show_each_edge_with_its_condition_in_the_graph_read()
    {
        var (from, id) = (NewId("branch"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, TwoEnds));

        var run = await Cluster.WaitForRunAsync(from, id);

        using var reply = JsonDocument.Parse(run.Text);
        var nodes = reply.RootElement.GetProperty("nodes");
        string EdgesOf(string name) => nodes.EnumerateArray().Single(n => n.GetProperty("name").GetString() == name).GetProperty("edges").GetRawText();
        using (Assert.EnterMultipleScope())
        {
            // A condition comes back as it was written; an edge always taken has "when": null. next is unchanged.
            Assert.That(EdgesOf("check"), Is.EqualTo("""[{"to":"approve","when":{"path":"status","equals":"ok"}},{"to":"reject","when":{"path":"status","equals":"bad"}}]"""), run.Text);
            Assert.That(EdgesOf("approve"), Is.EqualTo("""[{"to":"notify","when":null}]"""), run.Text);
            Assert.That(EdgesOf("archive"), Is.EqualTo("""[{"to":"end_job","when":null}]"""), run.Text);
            Assert.That(run["check"].Next, Is.EqualTo(CheckLeadsTo), run.Text);
        }
    }
}
