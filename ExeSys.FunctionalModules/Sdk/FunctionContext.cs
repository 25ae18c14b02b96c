using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MongoDB.Driver;
using StackExchange.Redis;

namespace ExeSys.FunctionalModules;

/// <summary>Everything a function receives about the job it runs.</summary>
public sealed class FunctionContext
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoInputs = new Dictionary<string, JsonElement>();

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

    /// <summary>
    /// In a workflow, the results (EOJ values) of the steps or nodes that led to this one, by name. A graph's start
    /// nodes see the run's own <c>data</c> under <c>start_job</c>. Empty for a single job.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Inputs { get; init; } = NoInputs;

    /// <summary>When the function asked to be run again later (<see cref="DeferException"/>), the time it asked for; otherwise null.</summary>
    public DateTimeOffset? DeferredUntil { get; init; }

    /// <summary>
    /// For a <see cref="FunctionMode.ForeverRun"/> runner: signalled when a stop is requested. Finish the current unit of
    /// work and return the final EOJ. Already signalled if the stop came before the runner started.
    /// </summary>
    public CancellationToken StopRequested { get; init; }

    /// <summary>
    /// The functions' own Redis data store, kept apart from ExeSys's keys as the original kept function data in a
    /// database of its own: by default database 1 of the ExeSys Redis, over a connection of its own
    /// (<c>ExeSys:Functions:DataStore</c> chooses the server, database and a key prefix). Workers always set it;
    /// it is null only in a context built by hand, e.g. in a unit test of a function.
    /// </summary>
    /// <remarks>
    /// Read and write freely (<c>StringGetAsync</c>, <c>HashIncrementAsync</c>, <c>ScriptEvaluateAsync</c> and so on).
    /// Do not use blocking commands such as <c>BLPOP</c>: the connection is shared by every function of the worker.
    /// </remarks>
    public IDatabase? DataStore { get; init; }

    /// <summary>
    /// A MongoDB database for the function's own collections, when ExeSys runs with MongoDB
    /// (<c>ExeSys:Mongo:ConnectionString</c>): the database <c>ExeSys:Mongo:FunctionsDatabase</c>, apart from ExeSys's own
    /// history. Null when MongoDB is not configured, so a function that needs it should say so with a
    /// <see cref="FunctionException"/>.
    /// </summary>
    public IMongoDatabase? Mongo { get; init; }

    /// <summary>Where <see cref="PublishAsync"/> writes; set by the worker.</summary>
    public Func<JsonNode?, ValueTask>? Publisher { get; init; }

    /// <summary>The attempt number, 1 on the first run.</summary>
    public int Attempt { get; }

    /// <summary>A logger scoped to the job.</summary>
    public ILogger Logger { get; }

    /// <summary>Signalled when the worker shuts down, the job is cancelled or its timeout passes. Long functions must observe it.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Publishes an intermediate result while the job runs: clients see it as <c>progress</c> when they read the job.
    /// Each call replaces the previous one.
    /// </summary>
    public ValueTask PublishAsync(JsonNode? intermediate) => Publisher?.Invoke(intermediate) ?? ValueTask.CompletedTask;
}
