using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>test_cmd_workflow</c>, the original sample: adds 1 to <c>data[1]</c> and returns <c>data</c>.
/// <c>data</c> must be an array whose second item is a number.
/// </summary>
public sealed class TestCmdWorkflowFunction : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "test_cmd_workflow";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.Array || context.Data.GetArrayLength() < 2 ||
            context.Data[1].ValueKind != JsonValueKind.Number)
        {
            throw new FunctionException("test_cmd_workflow needs data to be an array whose item 1 is a number, e.g. [\"key\", 0].");
        }

        var array = JsonNode.Parse(context.Data.GetRawText())!.AsArray();
        var item = context.Data[1];
        array[1] = item.TryGetInt64(out var whole) ? JsonValue.Create(whole + 1) : JsonValue.Create(item.GetDouble() + 1);
        return ValueTask.FromResult<JsonNode?>(array);
    }
}
