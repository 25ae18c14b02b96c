using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.FunctionalModules;

namespace HelloModule;

/// <summary>
/// <c>visit_count</c>: counts the visits of whoever is named in <c>data</c> and returns the count. Shows the functions'
/// own Redis data store: the counter lives in <c>visits:&lt;name&gt;</c> there, not among ExeSys's keys.
/// </summary>
public sealed class VisitCountFunction : IExeSysFunction
{
    public string Name => "visit_count";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.String)
        {
            throw new FunctionException("visit_count needs data to be a name (a string).");
        }

        var store = context.DataStore ?? throw new FunctionException("visit_count needs the function data store.");
        var visits = await store.StringIncrementAsync($"visits:{context.Data.GetString()}");
        return new JsonObject { ["name"] = context.Data.GetString(), ["visits"] = visits };
    }
}
