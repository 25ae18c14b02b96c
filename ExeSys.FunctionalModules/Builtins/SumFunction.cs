using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>sum</c>: adds its <c>data</c> (a number, or 0) and every numeric input from the workflow steps before it.
/// Handy to see fan-in work: a node after two others sums both of their results.
/// </summary>
public sealed class SumFunction : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "sum";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var total = context.Data.ValueKind == JsonValueKind.Number ? context.Data.GetDouble() : 0;
        foreach (var input in context.Inputs.Values.Where(v => v.ValueKind == JsonValueKind.Number))
        {
            total += input.GetDouble();
        }

        return ValueTask.FromResult<JsonNode?>(total == Math.Floor(total) && Math.Abs(total) < 9e15 ? JsonValue.Create((long)total) : JsonValue.Create(total));
    }
}
