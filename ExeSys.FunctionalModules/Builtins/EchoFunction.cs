using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary><c>echo</c>: returns its <c>data</c> unchanged.</summary>
public sealed class EchoFunction : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context) =>
        ValueTask.FromResult(JsonDataHelpers.Clone(context.Data));
}
