using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>
/// <c>test_cmd</c>, the original sample: waits a random time up to
/// <see cref="BuiltinFunctionOptions.TestCmdMaxDelayMs"/> and returns <c>data</c>.
/// </summary>
public sealed class TestCmdFunction(IOptions<BuiltinFunctionOptions> options, TimeProvider time) : IExeSysFunction
{
    /// <inheritdoc />
    public string Name => "test_cmd";

    /// <inheritdoc />
    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        var max = options.Value.TestCmdMaxDelayMs;
        if (max > 0)
        {
#pragma warning disable CA5394 // A test delay, not security.
            var delay = Random.Shared.Next(0, max + 1);
#pragma warning restore CA5394
            await Task.Delay(TimeSpan.FromMilliseconds(delay), time, context.CancellationToken);
        }

        return JsonDataHelpers.Clone(context.Data);
    }
}
