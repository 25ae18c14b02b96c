using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary><c>test_error_cmd</c>, the original sample that always throws.</summary>
public sealed class TestErrorCmdFunction : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "test_error_cmd";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context) =>
        throw new FunctionException("test_error_cmd raised an error, as it always does.");
}
