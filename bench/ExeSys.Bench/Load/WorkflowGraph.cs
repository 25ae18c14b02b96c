using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace ExeSys.Bench.Load;

/// <summary>
/// The shape of a benchmark workflow: nodes in layers, every node an <c>echo</c> of tiny data, each node of a layer
/// depending on <see cref="FanIn"/> nodes of the layer before. The last layer leads to <c>end_job</c>.
/// One node per layer is a chain; 10 × 10 with a fan-in of 3 is the 100-node DAG.
/// </summary>
internal sealed record WorkflowGraph(int Layers, int Width, int FanIn)
{
    public int Nodes => Layers * Width;

    public int Edges => (Layers - 1) * Width * Math.Min(FanIn, Width);

    /// <summary>s0 … s9 for a chain, l3n7 for node 7 of layer 3 otherwise.</summary>
    public string NodeName(int layer, int index) =>
        Width == 1 ? string.Create(CultureInfo.InvariantCulture, $"s{layer}") : string.Create(CultureInfo.InvariantCulture, $"l{layer}n{index}");

    public IEnumerable<string> NodeNames => Enumerable.Range(0, Layers).SelectMany(l => Enumerable.Range(0, Width).Select(i => NodeName(l, i)));

    /// <summary>The data each node echoes; the chain's last node's echo is the run's EOJ.</summary>
    public static string NodeData(int layer, int index) => string.Create(CultureInfo.InvariantCulture, $$"""{"l":{{layer}},"n":{{index}}}""");

    /// <summary>The EOJ the run must end with when it has a single end node (a chain); null when several nodes lead to end_job.</summary>
    public string? ExpectedResult => Width == 1 ? NodeData(Layers - 1, 0) : null;

    /// <summary>Node j of layer l+1 depends on nodes j, j+1, … j+FanIn-1 (mod Width) of layer l.</summary>
    public IEnumerable<int> Successors(int index) =>
        Enumerable.Range(0, Width).Where(j => Enumerable.Range(0, Math.Min(FanIn, Width)).Any(k => (j + k) % Width == index));

    /// <summary>Every node that has predecessors, with them.</summary>
    public IReadOnlyDictionary<string, List<string>> Predecessors()
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var layer = 0; layer < Layers - 1; layer++)
        {
            for (var i = 0; i < Width; i++)
            {
                foreach (var j in Successors(i))
                {
                    var to = NodeName(layer + 1, j);
                    if (!map.TryGetValue(to, out var list))
                    {
                        map[to] = list = [];
                    }

                    list.Add(NodeName(layer, i));
                }
            }
        }

        return map;
    }

    /// <summary>The <c>POST /workflows</c> body: <c>{"from","job_id","data","nodes":{name:{"cmd":"echo","data","next"}}}</c>.</summary>
    public byte[] Body(string from, string jobId)
    {
        var buffer = new ArrayBufferWriter<byte>(Nodes * 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("from", from);
            writer.WriteString("job_id", jobId);
            writer.WritePropertyName("data");
            writer.WriteRawValue("""{"n":1}""", skipInputValidation: true);
            writer.WriteStartObject("nodes");
            for (var layer = 0; layer < Layers; layer++)
            {
                for (var i = 0; i < Width; i++)
                {
                    writer.WriteStartObject(NodeName(layer, i));
                    writer.WriteString("cmd", "echo");
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(NodeData(layer, i), skipInputValidation: true);
                    writer.WriteStartArray("next");
                    if (layer == Layers - 1)
                    {
                        writer.WriteStringValue("end_job");
                    }
                    else
                    {
                        foreach (var j in Successors(i))
                        {
                            writer.WriteStringValue(NodeName(layer + 1, j));
                        }
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>One node as <c>GET /workflows/{from}/{job_id}</c> shows it. Started and Finished are whole milliseconds.</summary>
internal sealed record WorkflowNodeTimes(string Name, int State, int Attempts, bool Skipped, DateTimeOffset? Started, DateTimeOffset? Finished, IReadOnlyList<string> Next);

/// <summary>A run's graph as <c>GET /workflows/{from}/{job_id}</c> returns it.</summary>
internal sealed record WorkflowGraphState(string Phase, int RunState, IReadOnlyList<WorkflowNodeTimes> Nodes)
{
    public static WorkflowGraphState Parse(byte[] reply)
    {
        using var doc = JsonDocument.Parse(reply);
        var root = doc.RootElement;
        var nodes = new List<WorkflowNodeTimes>();
        foreach (var n in root.GetProperty("nodes").EnumerateArray())
        {
            nodes.Add(new WorkflowNodeTimes(
                n.GetProperty("name").GetString()!,
                n.GetProperty("state").GetInt32(),
                n.GetProperty("attempts").GetInt32(),
                n.GetProperty("skipped").GetBoolean(),
                n.TryGetProperty("started", out var s) ? s.GetDateTimeOffset() : null,
                n.TryGetProperty("finished", out var f) ? f.GetDateTimeOffset() : null,
                [.. n.GetProperty("next").EnumerateArray().Select(e => e.GetString()!)]));
        }

        return new WorkflowGraphState(root.GetProperty("phase").GetString()!, root.GetProperty("run").GetProperty("state").GetInt32(), nodes);
    }
}
