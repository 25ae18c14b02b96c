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
    /// <returns>The EOJ value.</returns>
    /// <remarks>
    /// What a throw does depends on the exception:
    /// <list type="bullet">
    /// <item><description><see cref="FunctionException"/>: an expected failure, such as bad input. The job ends in
    /// state 4 (error) at once, with the exception's message as its <c>error</c>. It is not retried.</description></item>
    /// <item><description><see cref="DeferException"/>: the job waits in state 1 (standby) without holding a worker slot,
    /// and runs again at <see cref="DeferException.Until"/>. The attempt does not count.</description></item>
    /// <item><description>Any other exception, and a workflow node's <c>timeout</c>, fail the attempt with
    /// <c>"&lt;ExceptionType&gt;: &lt;message&gt;"</c>. While attempts remain (<c>ExeSys:Jobs:MaxAttempts</c>, 3 by default,
    /// or the node's <c>retry.max_attempts</c>), the job waits in state 1 with that <c>error</c> and a <c>retry_at</c>,
    /// and runs again after an exponential backoff: <c>ExeSys:Jobs:RetryBackoff</c> (1 s, or the node's
    /// <c>retry.backoff</c>) before the second attempt, doubling each time, with ±20% jitter. After the last attempt the
    /// job ends in state 4 with that message as its <c>error</c>, and <c>errors</c> lists every attempt's error.</description></item>
    /// </list>
    /// Every start counts as an attempt, including one that a crashed or stopped worker never finished, so a job that
    /// was taken back once has one retry fewer. Cancellation is not a failure of the function: when the job's workflow
    /// is cancelled, the job ends in state 4 with the error <c>cancelled</c>; when the worker shuts down, the job goes
    /// back to the queue and runs again. Side effects may therefore happen more than once: make them idempotent.
    /// </remarks>
    ValueTask<JsonNode?> RunAsync(FunctionContext context);
}
