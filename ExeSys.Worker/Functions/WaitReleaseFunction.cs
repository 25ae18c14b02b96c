using System.Text.Json.Nodes;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Latches;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Functions;

/// <summary>
/// <c>wait_release</c>: releases a latch (littleflow's <c>wait:release</c>), which counts it down by its holder.
/// <c>data</c> is the latch's name or <c>{"name", "holder"?}</c> (<see cref="LatchArguments"/>). Releasing a holder that
/// does not hold the latch changes nothing, so a retried release never counts twice. The release that leaves the
/// latch at zero wakes every <c>wait_countdown</c> job waiting for it. Returns
/// <c>{"latch", "holder", "count", "released", "woken"}</c>: whether the holder was there, and how many waiting jobs
/// the zero reached.
/// </summary>
public sealed class WaitReleaseFunction(ILatchStore latches, IOptions<JobOptions> options) : IExeSysFunction
{
    public string Name => "wait_release";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var latch = await LatchArguments.ParseAsync(Name, context, options.Value, latches, holder: true, hold: false);
        var released = await latches.ReleaseAsync(latch.Stored, latch.Holder);
        return new JsonObject
        {
            ["latch"] = latch.Name,
            ["holder"] = TenantIds.Strip(latch.Holder),
            ["count"] = released.Count,
            ["released"] = released.Removed,
            ["woken"] = released.Woken.Count,
        };
    }
}
