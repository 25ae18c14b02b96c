using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules;

/// <summary>
/// A function that ExeSys workers run for a <c>/sys_cmd</c> whose <c>cmd</c> equals <see cref="Name"/>.
/// </summary>
/// <remarks>
/// Implement one class per function. The worker creates one instance and calls <see cref="RunAsync"/>
/// concurrently for many jobs, so keep per-job state in locals, not fields.
/// </remarks>
public interface IExeSysFunction
{
    /// <summary>The command name clients put in <c>cmd</c>, for example <c>test_cmd</c>.</summary>
    string Name { get; }

    /// <summary><see cref="FunctionMode.SingleRun"/> (the default) or <see cref="FunctionMode.ForeverRun"/> for a runner.</summary>
    FunctionMode Mode => FunctionMode.SingleRun;

    /// <summary>
    /// Runs the function for one job and returns its EOJ value: the JSON value the client receives
    /// as <c>data</c> once the job is in state 3 (data_available). Return <see langword="null"/> for a JSON null.
    /// </summary>
    /// <param name="context">The job's identity, its <c>data</c>, a logger and a cancellation token.</param>
    /// <returns>The EOJ value. Throwing puts the job in state 4 (error) with the exception's message.</returns>
    ValueTask<JsonNode?> RunAsync(FunctionContext context);
}
