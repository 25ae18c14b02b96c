using System.Globalization;
using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>10 layers of 10 sum nodes; every node of a layer waits for all 10 of the layer before (900 edges).</summary>
[TestFixture]
public sealed class Running_a_hundred_node_layered_graph : On_the_shared_cluster
{
    private const int Layers = 10;
    private const int Width = 10;
    private const long RunData = 2;

    /// <summary>How far apart two processes' stamps of one instant may be: each follows Redis's clock to within half a round trip.</summary>
    private static readonly TimeSpan ClockPrecision = TimeSpan.FromMilliseconds(50);

    private static string Name(int layer, int i) => string.Create(CultureInfo.InvariantCulture, $"L{layer}N{i}");

    private static string Nodes()
    {
        var nodes = new JsonObject();
        for (var layer = 0; layer < Layers; layer++)
        {
            for (var i = 0; i < Width; i++)
            {
                var next = new JsonArray();
                if (layer == Layers - 1)
                {
                    next.Add("end_job");
                }
                else
                {
                    for (var j = 0; j < Width; j++)
                    {
                        next.Add(Name(layer + 1, j));
                    }
                }

                nodes[Name(layer, i)] = new JsonObject { ["cmd"] = "sum", ["data"] = 1, ["next"] = next };
            }
        }

        return nodes.ToJsonString();
    }

    /// <summary>What every node of a layer returns: 1 plus the sum of its inputs (the run's data for the first layer).</summary>
    private static long[] ExpectedPerLayer()
    {
        var values = new long[Layers];
        values[0] = 1 + RunData;
        for (var layer = 1; layer < Layers; layer++)
        {
            values[layer] = 1 + (Width * values[layer - 1]);
        }

        return values;
    }

    [Test]
    public async Task Should_run_every_node_once_and_finish_with_the_computed_EOJ()
    {
        var (from, id) = (NewId("layered"), NewId("run"));
        var expected = ExpectedPerLayer();

        var submitted = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Nodes(), dataJson: RunData.ToString(CultureInfo.InvariantCulture)));
        Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Phase, run.State), Is.EqualTo(("done", 3)), run.Text);
            Assert.That(run.Nodes, Has.Count.EqualTo(Layers * Width));
            Assert.That(run.Nodes.Where(n => n.State != 3 || n.Attempts != 1 || n.Skipped).Select(n => $"{n.Name}: {n.Status} x{n.Attempts}"), Is.Empty,
                "every node ran exactly once");

            // The last layer's 10 nodes all lead to end_job, so the EOJ is an object of their results by name.
            var eoj = run.Data.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
            Assert.That(eoj, Is.EquivalentTo(Enumerable.Range(0, Width).ToDictionary(i => Name(Layers - 1, i), _ => expected[Layers - 1])), run.Data.GetRawText());

            // Fan-in: no node starts before every node of the layer before it has finished. The EOJ above already
            // proves each node saw all its inputs; these times add the order as a person reads it. A start and a
            // finish are stamped by different worker processes, each on Redis's clock to within half a round trip
            // (README, Clocks), so on a loaded 2-core box two stamps of one instant can differ by a few ms (seen: 5).
            for (var layer = 1; layer < Layers; layer++)
            {
                var previousDone = Enumerable.Range(0, Width).Max(i => run[Name(layer - 1, i)].Finished)!.Value;
                var firstStarted = Enumerable.Range(0, Width).Min(i => run[Name(layer, i)].Started)!.Value;
                Assert.That(firstStarted, Is.GreaterThanOrEqualTo(previousDone - ClockPrecision), $"layer {layer} starts after layer {layer - 1}");
            }
        }
    }
}
