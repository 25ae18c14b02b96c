using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using ExeSys.FunctionalModules;

namespace ExeSys.Worker.Functions;

/// <summary>
/// <c>stop_runner</c>: the original way to stop a forever runner, as a single-run command. <c>data</c> is
/// <c>{"from": ..., "job_id": ...}</c> of the runner's job. Returns <c>{"stop": "requested" | "already_ended" | "no_such_job"}</c>.
/// </summary>
public sealed class StopRunnerFunction(IJobClient store) : IExeSysFunction
{
    public string Name => "stop_runner";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.Object ||
            !context.Data.TryGetProperty("from", out var from) || from.ValueKind != JsonValueKind.String ||
            !context.Data.TryGetProperty("job_id", out var jobId) || jobId.ValueKind != JsonValueKind.String ||
            JobIdentifiers.Check("from", from.GetString()!, 512) is not null || JobIdentifiers.Check("job_id", jobId.GetString()!, 512) is not null)
        {
            throw new FunctionException("stop_runner needs data {\"from\": \"<runner's from>\", \"job_id\": \"<runner's job_id>\"}.");
        }

        var outcome = await store.RequestStopAsync(new JobRef(from.GetString()!, jobId.GetString()!));
        return new JsonObject
        {
            ["stop"] = outcome switch
            {
                StopOutcome.Requested => "requested",
                StopOutcome.AlreadyEnded => "already_ended",
                _ => "no_such_job",
            },
        };
    }
}
