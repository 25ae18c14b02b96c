using System.Text.Json.Nodes;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Latches;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Functions;

/// <summary>
/// <c>wait_countdown</c>: finishes when a latch is at zero (littleflow's <c>wait:countdown</c>), at once if it is
/// already, without holding a worker slot meanwhile: it defers itself, and the release that brings the latch to zero
/// wakes it. A zero reached while it waited counts even if the latch is acquired again before the job runs. It looks
/// again at least every <c>ExeSys:Jobs:LatchRecheck</c>, which heals a wake-up cut off by a crash and sees a latch
/// whose last hold lapsed. <c>data</c> is the latch's name or <c>{"name"}</c> (<see cref="LatchArguments"/>). Returns
/// <c>{"latch", "count": 0}</c>.
/// </summary>
public sealed class WaitCountdownFunction(ILatchStore latches, IOptions<JobOptions> options) : IExeSysFunction
{
    public string Name => "wait_countdown";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var latch = await LatchArguments.ParseAsync(Name, context, options.Value, latches, holder: false, hold: false);
        var look = await latches.CountdownAsync(new JobRef(context.From, context.JobId), latch.Stored);
        if (look.AtZero)
        {
            return new JsonObject { ["latch"] = latch.Name, ["count"] = 0 };
        }

        throw new DeferException(look.LookAgainAt);
    }
}
