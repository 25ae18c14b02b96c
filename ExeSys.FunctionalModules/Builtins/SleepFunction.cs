using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>sleep</c>: waits for the milliseconds given in <c>data</c> (a number, or <c>{"ms": n}</c>)
/// and returns <c>{"slept_ms": n}</c>.
/// </summary>
public sealed class SleepFunction(IOptions<BuiltinFunctionOptions> options, TimeProvider time) : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "sleep";

    /// <inheritdoc />
    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var ms = ReadMilliseconds(context.Data);
        var max = options.Value.SleepMaxMs;
        if (ms < 0 || ms > max)
        {
            throw new FunctionException($"sleep needs 0..{max} milliseconds in data, got {ms}.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(ms), time, context.CancellationToken);
        return new JsonObject { ["slept_ms"] = ms };
    }

    private static long ReadMilliseconds(JsonElement data) => data.ValueKind switch
    {
        JsonValueKind.Number when data.TryGetInt64(out var n) => n,
        JsonValueKind.Object when data.TryGetProperty("ms", out var ms) && ms.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(data.GetString(), out var n) => n,
        _ => throw new FunctionException("sleep needs data to be a whole number of milliseconds, or {\"ms\": n}."),
    };
}
