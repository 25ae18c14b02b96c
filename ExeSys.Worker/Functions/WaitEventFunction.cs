using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Configuration;
using ExeSys.Core.Events;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Functions;

/// <summary>
/// <c>wait_event</c>: finishes when a matching event is posted to <c>POST /events</c>, without holding a worker slot
/// meanwhile (it defers itself, and the post wakes it). <c>data</c> is the event name, or
/// <c>{"event": name, "when": condition, "timeout_ms": n}</c>: <c>when</c> has the shape of a workflow edge's condition
/// and is checked against the event's data; without <c>timeout_ms</c> it waits for as long as it takes (the timeout
/// counts from its first look, on Redis's clock). Events posted after the job was created count, even before it
/// started waiting, while they are retained (<c>ExeSys:Jobs:EventRetention</c>). It looks again at least every
/// <c>ExeSys:Jobs:EventRecheck</c>, which heals a delivery cut off by a crash. Returns <c>{"event", "data", "posted_at", "id"}</c>.
/// </summary>
public sealed class WaitEventFunction(IEventStore events, IOptions<JobOptions> options) : IExeSysFunction
{
    private const string Usage = "wait_event needs data to be an event name, or {\"event\": name, \"when\": {\"path\": ..., \"equals\": ...}, \"timeout_ms\": n}.";

    public string Name => "wait_event";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var (name, whenJson, timeoutMs) = Parse(context.Data, options.Value.MaxIdLength);
        var look = await events.AwaitAsync(new JobRef(context.From, context.JobId), name, whenJson, timeoutMs);
        if (look.Event is { } posted)
        {
            return JsonNode.Parse(posted.Json);
        }

        if (look.TimedOut)
        {
            throw new FunctionException($"wait_event: no '{name}' event{(whenJson is null ? "" : " matching its condition")} came within {timeoutMs} ms.");
        }

        // Never longer than ExeSys:Jobs:EventRecheck: the next look finds an event whose delivery a crash cut off.
        throw new DeferException(look.LookAgainAt);
    }

    /// <param name="maxNameLength">The limit POST /events puts on an event name (ExeSys:Jobs:MaxIdLength), so any name a post can carry can be waited for.</param>
    private static (string Name, string? WhenJson, long? TimeoutMs) Parse(JsonElement data, int maxNameLength)
    {
        JsonElement name, when = default, timeout = default;
        if (data.ValueKind == JsonValueKind.String)
        {
            name = data;
        }
        else if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("event", out name) || name.ValueKind != JsonValueKind.String)
        {
            throw new FunctionException(Usage);
        }
        else
        {
            data.TryGetProperty("when", out when);
            data.TryGetProperty("timeout_ms", out timeout);
        }

        if (JobIdentifiers.Check("event", name.GetString()!, maxNameLength) is { } badName)
        {
            throw new FunctionException($"wait_event: {badName}");
        }

        if (when.ValueKind != JsonValueKind.Undefined && EdgeCondition.Check(when) is { } badWhen)
        {
            throw new FunctionException($"wait_event: {badWhen}");
        }

        long? timeoutMs = null;
        if (timeout.ValueKind != JsonValueKind.Undefined)
        {
            timeoutMs = timeout.TryGetInt64(out var t) && t >= 0 ? t : throw new FunctionException("wait_event: 'timeout_ms' must be a whole number of milliseconds, 0 or more.");
        }

        return (name.GetString()!, when.ValueKind == JsonValueKind.Undefined ? null : when.GetRawText(), timeoutMs);
    }
}
