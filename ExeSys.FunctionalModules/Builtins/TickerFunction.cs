using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>ticker</c>, a forever runner: every <c>data</c> milliseconds (default 200) it publishes <c>{"ticks": n}</c>,
/// until it is stopped; then it ends with <c>{"ticks": n, "stopped": true}</c>.
/// </summary>
public sealed class TickerFunction(TimeProvider time) : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "ticker";

    /// <inheritdoc />
    public FunctionMode Mode => FunctionMode.ForeverRun;

    /// <inheritdoc />
    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var period = context.Data.ValueKind == JsonValueKind.Number && context.Data.TryGetInt32(out var ms) && ms > 0 ? ms : 200;
        var ticks = 0;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.StopRequested, context.CancellationToken);
        while (!context.StopRequested.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(period), time, both.Token);
            }
            catch (OperationCanceledException) when (context.StopRequested.IsCancellationRequested)
            {
                break;
            }

            ticks++;
            await context.PublishAsync(new JsonObject { ["ticks"] = ticks });
        }

        return new JsonObject { ["ticks"] = ticks, ["stopped"] = true };
    }
}
