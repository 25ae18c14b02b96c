using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ExeSys.FunctionalModules;

/// <summary>Everything a function receives about the job it runs.</summary>
public sealed class FunctionContext
{
    /// <summary>Creates a context. Workers build it; tests of a function may build one by hand.</summary>
    public FunctionContext(string from, string jobId, string to, string cmd, JsonElement data, int attempt, ILogger logger, CancellationToken cancellationToken)
    {
        From = from;
        JobId = jobId;
        To = to;
        Cmd = cmd;
        Data = data;
        Attempt = attempt;
        Logger = logger;
        CancellationToken = cancellationToken;
    }

    /// <summary>The client (or workflow step) that submitted the job: the command's <c>from</c>.</summary>
    public string From { get; }

    /// <summary>The client-chosen job id.</summary>
    public string JobId { get; }

    /// <summary>The command's <c>to</c>: <c>end_job</c> for a single job, the next step for a workflow step.</summary>
    public string To { get; }

    /// <summary>The command name that selected this function.</summary>
    public string Cmd { get; }

    /// <summary>The command's <c>data</c>: any JSON value, <see cref="JsonValueKind.Null"/> when absent.</summary>
    public JsonElement Data { get; }

    /// <summary>The attempt number, 1 on the first run.</summary>
    public int Attempt { get; }

    /// <summary>A logger scoped to the job.</summary>
    public ILogger Logger { get; }

    /// <summary>Signalled when the worker shuts down or the job is cancelled. Long functions must observe it.</summary>
    public CancellationToken CancellationToken { get; }
}
