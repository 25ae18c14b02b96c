using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary><c>fail</c>: always throws, with <c>data</c> (a string, or <c>{"message": "..."}</c>) as the error message.</summary>
public sealed class FailFunction : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "fail";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var message = context.Data.ValueKind switch
        {
            JsonValueKind.String => context.Data.GetString(),
            JsonValueKind.Object when context.Data.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => context.Data.GetRawText(),
        };
        throw new FunctionException(string.IsNullOrEmpty(message) ? "fail was asked to fail." : message);
    }
}
