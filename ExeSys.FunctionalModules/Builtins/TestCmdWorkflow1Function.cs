using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>test_cmd_workflow_1</c>, the original sample that shows the function data store: adds 1 to the counter in the
/// hash <c>workflow_test_key:&lt;data[0]&gt;</c>, field <c>text_data</c>, and returns <c>data</c>. <c>data</c> must be
/// an array whose first item is a string or a number.
/// </summary>
public sealed class TestCmdWorkflow1Function : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "test_cmd_workflow_1";

    /// <inheritdoc />
    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.Array || context.Data.GetArrayLength() < 1 ||
            context.Data[0].ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
        {
            throw new FunctionException("test_cmd_workflow_1 needs data to be an array whose item 0 is a string or a number, e.g. [\"key\", 0].");
        }

        var store = context.DataStore ?? throw new FunctionException("test_cmd_workflow_1 needs the function data store, which this context lacks.");
        var item = context.Data[0];
        var name = item.ValueKind == JsonValueKind.String ? item.GetString() : item.GetRawText();
        await store.HashIncrementAsync($"workflow_test_key:{name}", "text_data");
        return JsonNode.Parse(context.Data.GetRawText());
    }
}
