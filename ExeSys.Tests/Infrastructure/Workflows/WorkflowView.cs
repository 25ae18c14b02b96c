using System.Text.Json;

namespace ExeSys.Tests.Infrastructure.Workflows;

/// <summary>One node of GET /workflows/{from}/{job_id}.</summary>
public sealed record NodeView(
    string Name, int State, string Status, string Cmd, int Attempts, DateTimeOffset? Started, DateTimeOffset? Finished, string? Error, bool Skipped, IReadOnlyList<string> Next)
{
    public static NodeView Of(JsonElement node) => new(
        node.GetProperty("name").GetString()!,
        node.GetProperty("state").GetInt32(),
        node.GetProperty("status").GetString()!,
        node.GetProperty("cmd").GetString()!,
        node.GetProperty("attempts").GetInt32(),
        Time(node, "started"),
        Time(node, "finished"),
        node.TryGetProperty("error", out var e) ? e.GetString() : null,
        node.GetProperty("skipped").GetBoolean(),
        [.. node.GetProperty("next").EnumerateArray().Select(n => n.GetString()!)]);

    private static DateTimeOffset? Time(JsonElement node, string property) =>
        node.TryGetProperty(property, out var t) && t.ValueKind == JsonValueKind.String ? t.GetDateTimeOffset() : null;
}

/// <summary>GET /workflows/{from}/{job_id}: the run's own reply, its phase and every node.</summary>
public sealed record WorkflowView(JsonElement Run, string Phase, IReadOnlyList<NodeView> Nodes, string Text)
{
    public static WorkflowView Of(Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return new(
            reply.Get("run"),
            reply.Get("phase").GetString()!,
            [.. reply.Get("nodes").EnumerateArray().Select(NodeView.Of)],
            reply.Text);
    }

    public int State => Run.GetProperty("state").GetInt32();

    public string? Error => Run.TryGetProperty("error", out var e) ? e.GetString() : null;

    /// <summary>The run's EOJ (present once it is done).</summary>
    public JsonElement Data => Run.TryGetProperty("data", out var d) ? d : default;

    public DateTimeOffset Created => Run.GetProperty("created").GetDateTimeOffset();

    public NodeView this[string name] => Nodes.Single(n => n.Name == name);

    public override string ToString() => Text;
}
