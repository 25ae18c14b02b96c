using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.FunctionalModules;

namespace HelloModule;

/// <summary><c>slow_version</c>: waits <c>data</c> milliseconds, then says which version of the module ran it.</summary>
public sealed class SlowVersionFunction(TimeProvider time) : IExeSysFunction
{
    private static readonly string Version =
        typeof(SlowVersionFunction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    public string Name => "slow_version";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var ms = context.Data.ValueKind == JsonValueKind.Number ? context.Data.GetInt32() : 1000;
        await Task.Delay(TimeSpan.FromMilliseconds(ms), time, context.CancellationToken);
        return new JsonObject { ["version"] = Version };
    }
}
