using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>wait_delay</c>: finishes after the milliseconds in <c>data</c> (a number, or <c>{"ms": n}</c>), without holding a
/// worker slot meanwhile: it defers itself and is picked up again when the time has come. Returns <c>{"waited_ms": n}</c>.
/// </summary>
public sealed class WaitDelayFunction(TimeProvider time) : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "wait_delay";

    /// <inheritdoc />
    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var ms = context.Data.ValueKind switch
        {
            JsonValueKind.Number when context.Data.TryGetInt64(out var n) && n >= 0 => n,
            JsonValueKind.Object when context.Data.TryGetProperty("ms", out var m) && m.TryGetInt64(out var n) && n >= 0 => n,
            _ => throw new FunctionException("wait_delay needs data to be a whole number of milliseconds, or {\"ms\": n}."),
        };

        if (context.DeferredUntil is { } until && time.GetUtcNow() >= until)
        {
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["waited_ms"] = ms });
        }

        throw new DeferException(context.DeferredUntil ?? time.GetUtcNow().AddMilliseconds(ms));
    }
}
