using System.Globalization;
using System.Text.Json;

namespace ExeSys.Core.Workflows;

/// <summary>
/// The condition on a graph edge, checked against the result of the node the edge leaves. Shape:
/// <c>{"path": "a.b.0", "equals": v}</c>, or <c>not_equals</c>, <c>in</c> (array), <c>exists</c> (bool),
/// <c>gt</c>/<c>gte</c>/<c>lt</c>/<c>lte</c> (number). <c>path</c> is dot-separated property names or array indexes;
/// absent or empty means the whole result.
/// </summary>
public static class EdgeCondition
{
    private static readonly string[] Operators = ["equals", "not_equals", "in", "exists", "gt", "gte", "lt", "lte"];

    /// <summary>Null when <paramref name="when"/> is a valid condition, else what is wrong with it.</summary>
    public static string? Check(JsonElement when)
    {
        if (when.ValueKind != JsonValueKind.Object)
        {
            return "'when' must be an object such as {\"path\": \"status\", \"equals\": \"ok\"}.";
        }

        var ops = when.EnumerateObject().Where(p => p.Name != "path").ToList();
        if (when.TryGetProperty("path", out var path) && path.ValueKind != JsonValueKind.String)
        {
            return "'when.path' must be a string such as \"result.status\".";
        }

        if (ops.Count != 1 || !Operators.Contains(ops[0].Name))
        {
            return $"'when' needs exactly one of {string.Join(", ", Operators)} beside 'path'.";
        }

        var (op, value) = (ops[0].Name, ops[0].Value);
        return op switch
        {
            "in" when value.ValueKind != JsonValueKind.Array => "'when.in' must be an array.",
            "exists" when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False) => "'when.exists' must be true or false.",
            "gt" or "gte" or "lt" or "lte" when !IsFinite(value) => $"'when.{op}' must be a number (a finite one).",
            _ => null,
        };
    }

    /// <summary>Whether the edge is taken for this result. The condition must have passed <see cref="Check"/>.</summary>
    public static bool Evaluate(JsonElement when, JsonElement result)
    {
        var found = Resolve(result, when.TryGetProperty("path", out var p) ? p.GetString() : null, out var value);
        var op = when.EnumerateObject().First(x => x.Name != "path");
        return op.Name switch
        {
            "exists" => found == op.Value.GetBoolean(),
            "equals" => found && JsonElement.DeepEquals(value, op.Value),
            "not_equals" => !found || !JsonElement.DeepEquals(value, op.Value),
            "in" => found && op.Value.EnumerateArray().Any(v => JsonElement.DeepEquals(value, v)),
            _ => found && IsFinite(value) && Compare(op.Name, value.GetDouble(), op.Value.GetDouble()),
        };
    }

    /// <summary>A JSON number a double holds: 1e400 is valid JSON, but GetDouble throws on it.</summary>
    private static bool IsFinite(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number);

    private static bool Compare(string op, double left, double right) => op switch
    {
        "gt" => left > right,
        "gte" => left >= right,
        "lt" => left < right,
        _ => left <= right,
    };

    /// <summary>
    /// Finds the value at <paramref name="path"/> (dot-separated property names or array indexes; null or empty: the
    /// whole of <paramref name="root"/>). Also what a latch name's template placeholders read (wait_acquire and its kin).
    /// </summary>
    public static bool Resolve(JsonElement root, string? path, out JsonElement value)
    {
        value = root;
        if (string.IsNullOrEmpty(path))
        {
            return root.ValueKind != JsonValueKind.Undefined;
        }

        foreach (var part in path.Split('.'))
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(part, out var child))
            {
                value = child;
            }
            else if (value.ValueKind == JsonValueKind.Array && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < value.GetArrayLength())
            {
                value = value[index];
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
