using System.Net;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Fan-out then fan-in: a leads to b and c, and d waits for both.</summary>
[TestFixture]
public sealed class Running_a_diamond : On_the_shared_cluster
{
    // sum returns its data plus its predecessors' numeric results; with run data 1: a = 2, b = 12, c = 102, d = 114.
    internal const string Diamond = """
        {
          "a": {"cmd": "sum", "data": 1, "next": ["b", "c"]},
          "b": {"cmd": "sum", "data": 10, "next": ["d"]},
          "c": {"cmd": "sum", "data": 100, "next": ["d"]},
          "d": {"cmd": "sum", "next": ["end_job"]}
        }
        """;

    private static readonly string[] DiamondNodes = ["a", "b", "c", "d"];
    private static readonly string[] Fanout = ["b", "c"];
    private static readonly string[] ToEnd = ["end_job"];

    [Test]
    public async Task Should_sum_both_branches_into_the_EOJ()
    {
        var (from, id) = (NewId("diamond"), NewId("run"));

        var reply = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Diamond, dataJson: "1"), "?wait=10s");
        if (reply.Status == HttpStatusCode.Accepted)
        {
            reply = await Cluster.WaitForJobAsync(from, id);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That((reply.State, reply.Resp), Is.EqualTo((3, "data_available")), reply.Text);
            Assert.That(reply.Get("data").GetInt64(), Is.EqualTo(114), reply.Text);
        }
    }

    [Test]
    public async Task Should_show_every_node_done_once_with_its_times_in_the_graph_read()
    {
        var (from, id) = (NewId("diamond"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Diamond, dataJson: "1"));

        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Phase, Is.EqualTo("done"), run.Text);
            Assert.That(run.State, Is.EqualTo(3), run.Text);
            Assert.That(run.Data.GetInt64(), Is.EqualTo(114), run.Text);
            Assert.That(run.Nodes.Select(n => n.Name), Is.EquivalentTo(DiamondNodes));
            foreach (var node in run.Nodes)
            {
                Assert.That((node.State, node.Status, node.Attempts, node.Skipped), Is.EqualTo((3, "data_available", 1, false)), node.Name);
                Assert.That(node.Cmd, Is.EqualTo("sum"));
                Assert.That(node.Started, Is.Not.Null, node.Name);
                Assert.That(node.Finished, Is.GreaterThanOrEqualTo(node.Started!), node.Name);
                Assert.That(node.Error, Is.Null, node.Name);
            }

            Assert.That(run["a"].Next, Is.EqualTo(Fanout));
            Assert.That(run["d"].Next, Is.EqualTo(ToEnd));

            // Fan-out starts after a; fan-in starts only after both of its predecessors.
            Assert.That(run["b"].Started, Is.GreaterThanOrEqualTo(run["a"].Finished!));
            Assert.That(run["c"].Started, Is.GreaterThanOrEqualTo(run["a"].Finished!));
            Assert.That(run["d"].Started, Is.GreaterThanOrEqualTo(run["b"].Finished!));
            Assert.That(run["d"].Started, Is.GreaterThanOrEqualTo(run["c"].Finished!));
        }
    }

    [Test]
    public async Task Should_read_a_node_as_a_job_with_its_input_when_asked()
    {
        var (from, id) = (NewId("diamond"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Diamond, dataJson: "1"));
        await Cluster.WaitForRunAsync(from, id);

        // A node is a job from the node's name under the run's job_id: a console opens it to show its data and result.
        var plain = await Cluster.GetAsync($"/jobs/b/{id}");
        var withInput = await Cluster.GetAsync($"/jobs/b/{id}?input=true");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((plain.Status, plain.State), Is.EqualTo((HttpStatusCode.OK, 3)), plain.Text);
            Assert.That(plain.Get("data").GetInt64(), Is.EqualTo(12), plain.Text);
            Assert.That(plain.Has("input"), Is.False, "input only when asked for: " + plain.Text);
            Assert.That(withInput.Get("input").GetRawText(), Is.EqualTo("10"), withInput.Text);
            Assert.That(withInput.Get("data").GetInt64(), Is.EqualTo(12), withInput.Text);
        }
    }

    [Test]
    public async Task Should_read_the_same_EOJ_when_the_run_is_re_sent()
    {
        var (from, id) = (NewId("diamond"), NewId("run"));
        var body = RunBody.Graph(from, id, Diamond, dataJson: "1");
        var first = await Cluster.SubmitRunAsync(body);
        await Cluster.WaitForJobAsync(from, id);

        var again = await Cluster.SubmitRunAsync(body);
        var run = await Cluster.ReadRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.Accepted), first.Text);
            Assert.That(first.Location?.ToString(), Is.EqualTo($"/workflows/{from}/{id}"), first.Text);
            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), again.Text);
            Assert.That(again.Get("data").GetInt64(), Is.EqualTo(114), again.Text);
            Assert.That(run.Nodes.Select(n => n.Attempts), Is.All.EqualTo(1), "a re-send starts nothing again: " + run.Text);
        }
    }
}
