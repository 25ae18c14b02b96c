using System.Text.Json.Nodes;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Latches;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Functions;

/// <summary>
/// <c>wait_acquire</c>: acquires a latch (littleflow's <c>wait:acquire</c>), which counts it up by one holder.
/// <c>data</c> is the latch's name or <c>{"name", "holder"?, "hold_ms"?}</c> (<see cref="LatchArguments"/>). The same
/// holder acquiring again counts once, so a retried or re-run job never counts twice. Returns
/// <c>{"latch", "holder", "count", "acquired"}</c>; <c>acquired</c> is false when the holder held it already.
/// </summary>
public sealed class WaitAcquireFunction(ILatchStore latches, IOptions<JobOptions> options) : IExeSysFunction
{
    public string Name => "wait_acquire";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var latch = await LatchArguments.ParseAsync(Name, context, options.Value, latches, holder: true, hold: true);
        var acquired = await latches.AcquireAsync(latch.Stored, latch.Holder, latch.Hold);
        return new JsonObject
        {
            ["latch"] = latch.Name,
            ["holder"] = TenantIds.Strip(latch.Holder),
            ["count"] = acquired.Count,
            ["acquired"] = acquired.Added,
        };
    }
}
