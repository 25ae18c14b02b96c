using System.Globalization;
using System.Net;
using System.Text;
using ExeSys.Core.Workflows;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// Graphs at the documented maximum of nodes, in the shapes that stress Redis's script limits: every node a start
/// node (one submit writes them all and enqueues them all), one long chain, and one node fanning out to all the others
/// and back in (one finish promotes thousands of successors). Lua's unpack() takes at most 7,999 values, so each of
/// these once failed part-way, leaving a run half written. One node more than the maximum is refused and writes nothing.
/// </summary>
[TestFixture]
public sealed class Running_a_ten_thousand_node_graph : On_the_shared_cluster
{
    private const int Nodes = WorkflowParser.MaxNodes;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"n{i}");

    /// <summary>The "nodes" object: node i as <paramref name="node"/> gives its cmd, data and next.</summary>
    private static string NodesJson(int count, Func<int, (string Cmd, string Data, string Next)> node)
    {
        var text = new StringBuilder("{");
        for (var i = 0; i < count; i++)
        {
            var (cmd, data, next) = node(i);
            text.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}\"{Name(i)}\":{{\"cmd\":\"{cmd}\",\"data\":{data},\"next\":{next}}}");
        }

        return text.Append('}').ToString();
    }

    private async Task<Reply> RunAsync(string from, string id, string nodesJson, string dataJson)
    {
        var submitted = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, nodesJson, dataJson));
        Assert.That(submitted.Status, Is.EqualTo(HttpStatusCode.Accepted), submitted.Text);
        return await Cluster.WaitForJobAsync(from, id, RunTimeout);
    }

    [Test]
    public async Task Should_finish_ten_thousand_start_nodes_with_every_result_in_the_EOJ()
    {
        var (from, id) = (NewId("wide"), NewId("run"));

        var reply = await RunAsync(from, id, NodesJson(Nodes, i => ("echo", i.ToString(CultureInfo.InvariantCulture), "[\"end_job\"]")), "null");

        var eoj = reply.Get("data");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((reply.State, reply.Resp), Is.EqualTo((3, "data_available")), reply.Text[..Math.Min(2000, reply.Text.Length)]);
            Assert.That(eoj.EnumerateObject().Count(), Is.EqualTo(Nodes), "every node leads to end_job, so the EOJ holds each one's result");
            Assert.That(eoj.EnumerateObject().All(p => p.Value.GetInt32() == int.Parse(p.Name[1..], CultureInfo.InvariantCulture)), Is.True,
                "each node's result is its own data");
        }
    }

    [Test]
    public async Task Should_finish_a_ten_thousand_node_chain()
    {
        var (from, id) = (NewId("chain"), NewId("run"));

        // sum adds its data (1) to its predecessor's result, so node i returns i + 1 and the last one the node count.
        var reply = await RunAsync(from, id, NodesJson(Nodes, i => ("sum", "1", i == Nodes - 1 ? "[\"end_job\"]" : $"[\"{Name(i + 1)}\"]")), "0");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((reply.State, reply.Resp), Is.EqualTo((3, "data_available")), reply.Text);
            Assert.That(reply.Get("data").GetInt64(), Is.EqualTo(Nodes), reply.Text);
        }
    }

    [Test]
    public async Task Should_fan_out_from_one_node_to_all_the_others_and_back_in()
    {
        var (from, id) = (NewId("fan"), NewId("run"));
        var middle = Nodes - 2;
        var all = "[" + string.Join(",", Enumerable.Range(1, middle).Select(i => $"\"{Name(i)}\"")) + "]";
        var last = Name(Nodes - 1);

        // n0 (1) promotes every middle node in one finish; each returns 1 + 1, and the last node waits for all of them.
        var reply = await RunAsync(from, id, NodesJson(Nodes, i => i switch
        {
            0 => ("sum", "1", all),
            _ when i == Nodes - 1 => ("sum", "0", "[\"end_job\"]"),
            _ => ("sum", "1", $"[\"{last}\"]"),
        }), "0");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((reply.State, reply.Resp), Is.EqualTo((3, "data_available")), reply.Text);
            Assert.That(reply.Get("data").GetInt64(), Is.EqualTo(2L * middle), reply.Text);
        }

        var run = await Cluster.ReadRunAsync(from, id);
        Assert.That(run.Nodes.Select(n => (n.State, n.Attempts)), Is.All.EqualTo((3, 1)), "every node ran once");
    }

    [Test]
    public async Task Should_refuse_a_graph_one_node_over_the_limit_and_write_nothing()
    {
        var (from, id) = (NewId("over"), NewId("run"));
        var before = await RunFootprint.TakeAsync(Cluster.Prefix, from, id);

        var reply = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, NodesJson(Nodes + 1, _ => ("echo", "null", "[\"end_job\"]"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Text, Does.Contain(Nodes.ToString("N0", CultureInfo.InvariantCulture)), "the problem states the limit");
            Assert.That(reply.Text, Does.Contain((Nodes + 1).ToString("N0", CultureInfo.InvariantCulture)), "and the graph's size");
            Assert.That(await RunFootprint.TakeAsync(Cluster.Prefix, from, id), Is.EqualTo(before), "nothing of the run is written");
        }
    }
}
