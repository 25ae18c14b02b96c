using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.FunctionalModules;

namespace HelloModule;

/// <summary><c>hello</c>: greets whoever is named in <c>data</c> and says which version of the module answered.</summary>
public sealed class HelloFunction : IExeSysFunction
{
    private static readonly string Version =
        typeof(HelloFunction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    public string Name => "hello";

    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var who = context.Data.ValueKind == JsonValueKind.String ? context.Data.GetString() : "world";
        return ValueTask.FromResult<JsonNode?>(new JsonObject { ["greeting"] = $"Hello, {who}!", ["version"] = Version });
    }
}
