using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The one place where ExeSys key and channel names are built.
/// <list type="bullet">
/// <item>Per job: <c>P:from:{job_id}:status</c>, one hash with the whole job; a finished job's result is its field
/// <c>da</c> (<see cref="ResultField"/>), the original's data_available text. The <c>{job_id}</c> hash tag keeps
/// every key of a job in one Redis Cluster slot.</item>
/// <item>Queue: <c>P:{queue}:ready</c>, <c>P:{queue}:inflight</c> and <c>P:{queue}:idle</c> (sorted sets), one slot of their own.</item>
/// <item>Registry: <c>P:{registry}:workers</c>, <c>P:{registry}:functions</c>, <c>P:{registry}:controllers</c>.</item>
/// <item>Events (wait_event): <c>P:event:{name}:waiters</c> (hash) and <c>P:event:{name}:recent</c> (sorted set),
/// one slot per event name.</item>
/// </list>
/// </summary>
public sealed class RedisKeys
{
    private readonly string _prefix;

    public RedisKeys(IOptions<RedisOptions> options) : this(options.Value.KeyPrefix)
    {
    }

    public RedisKeys(string prefix)
    {
        _prefix = prefix;
        Ready = $"{prefix}:{{queue}}:ready";
        Inflight = $"{prefix}:{{queue}}:inflight";
        Scheduled = $"{prefix}:{{queue}}:scheduled";
        Idle = $"{prefix}:{{queue}}:idle";
        ArchiveBacklog = $"{prefix}:{{queue}}:archive";
        Handoff = [Ready, Inflight, Idle];
        QueueLimits = $"{prefix}:{{queue}}:limits";
        Parked = $"{prefix}:{{queue}}:parked";
        WorkflowDefinitions = $"{prefix}:{{definitions}}:workflows";
        CancelChannel = RedisChannel.Literal($"{prefix}:events:cancel");
        StopChannel = RedisChannel.Literal($"{prefix}:events:stop");
        Workers = $"{prefix}:{{registry}}:workers";
        WorkerFunctions = $"{prefix}:{{registry}}:functions";
        Controllers = $"{prefix}:{{registry}}:controllers";
        ControllerDetails = $"{prefix}:{{registry}}:controller_details";
        WakeChannel = RedisChannel.Literal($"{prefix}:{{queue}}:wake");
        DoneChannel = RedisChannel.Literal($"{prefix}:events:done");
    }

    public RedisKey Status(JobRef job) => $"{_prefix}:{job.From}:{{{job.JobId}}}:status";

    /// <summary>
    /// The status-hash field with a finished job's result, as the original's data_available text
    /// <c>{"to":…,"result":&lt;EOJ&gt;}</c>. Kept in the job's one hash so that finishing a job writes one key.
    /// </summary>
    public const string ResultField = "da";

    /// <summary>
    /// Left behind when an archived job leaves Redis (MongoDB history on): its state, with the history's TTL, so a
    /// re-send is answered from MongoDB and never creates a new job. Mirrored by job_key(..., 'archived') in Lua.
    /// </summary>
    public RedisKey Tombstone(JobRef job) => $"{_prefix}:{job.From}:{{{job.JobId}}}:archived";

    /// <summary>A graph run's operator actions (pause, resume, cancel), as <c>label|ms</c>; only with MongoDB history on. Mirrored by wf_log_key in Lua.</summary>
    public RedisKey WorkflowLog(string jobId) => $"{_prefix}:{{{jobId}}}:wf_log";

    /// <summary>
    /// The workflow hash of one job_id: step-protocol progress (<c>reached:</c>/<c>failed:</c>) or a graph run's
    /// structure and progress. Same <c>{job_id}</c> tag, so a workflow's steps and nodes share one slot.
    /// Lua builds the sibling keys of a run's nodes with the mirror helpers in Scripts/_common.lua.
    /// </summary>
    public RedisKey Workflow(string jobId) => $"{_prefix}:{{{jobId}}}:wf";

    /// <summary>A client's graph runs (score = start time), for "cancel all of a client". Entries of ended runs are pruned lazily.</summary>
    public RedisKey ClientRuns(string from) => $"{_prefix}:runs:{{{from}}}";

    /// <summary>The jobs waiting for an event (wait_event): <c>from:job_id</c> → condition JSON ('' = any).</summary>
    public RedisKey EventWaiters(string name) => $"{_prefix}:event:{{{name}}}:waiters";

    /// <summary>An event's recent posts (score = post time ms), kept for ExeSys:Jobs:EventRetention for waiters that register late.</summary>
    public RedisKey EventRecent(string name) => $"{_prefix}:event:{{{name}}}:recent";

    /// <summary>
    /// The published limits (ExeSys:Limits), in the queue slot where the claim reads them: scope (<c>f:&lt;function&gt;</c>,
    /// <c>q:&lt;queue&gt;</c>) → <c>max|rate|period_ms</c>. Mirrored in Scripts/_lanes.lua, as are the keys below.
    /// </summary>
    public RedisKey QueueLimits { get; }

    /// <summary>Lanes at a limit (tokens <c>~&lt;lane&gt;</c>); score = when to look again.</summary>
    public RedisKey Parked { get; }

    /// <summary>The limited jobs waiting in one lane (<c>&lt;function&gt;|&lt;key&gt;|&lt;N&gt;</c>); score as in <see cref="Ready"/>.</summary>
    public RedisKey Lane(string lane) => $"{_prefix}:{{queue}}:lane:{lane}";

    /// <summary>The running jobs holding a slot of one limit scope; score = their lease deadline.</summary>
    public RedisKey LimitSlots(string scope) => $"{_prefix}:{{queue}}:slots:{scope}";

    /// <summary>The starts of the last rate period of one limit scope (a sliding log); score = start ms.</summary>
    public RedisKey RateLog(string scope) => $"{_prefix}:{{queue}}:rate:{scope}";

    /// <summary>Named workflow definitions: name → JSON.</summary>
    public RedisKey WorkflowDefinitions { get; }

    /// <summary>
    /// Ended jobs the controller has yet to archive into MongoDB (only with MongoDB history on), as <c>from:job_id</c>;
    /// score = when the entry may be taken (its end, or the lease deadline of the archiver that took it). In the queue
    /// slot, so the script that drops a job's lease also adds it here.
    /// </summary>
    public RedisKey ArchiveBacklog { get; }

    /// <summary>Jobs waiting for a retry; score = when the next attempt may start (ms).</summary>
    public RedisKey Scheduled { get; }

    /// <summary>The prefix, passed to scripts that build a run's node keys.</summary>
    public string Prefix => _prefix;

    /// <summary>Jobs waiting for a worker; score = enqueue time in ms, shifted by priority.</summary>
    public RedisKey Ready { get; }

    /// <summary>
    /// Idle workers waiting for a handoff: the next enqueued job goes straight to the freshest one, leased on its
    /// behalf, without a claim. Score = until when the wait counts (Redis server ms).
    /// </summary>
    public RedisKey Idle { get; }

    /// <summary>
    /// The queue keys of a script that may hand a job to an idle worker, in this order: ready, inflight, idle
    /// (queue_enqueue.lua, queue_claim.lua, and job_submit.lua when it enqueues). Never modified.
    /// </summary>
    public RedisKey[] Handoff { get; }

    /// <summary>Claimed jobs; score = lease deadline in Redis server ms.</summary>
    public RedisKey Inflight { get; }

    /// <summary>Live workers; score = heartbeat deadline in Redis server ms.</summary>
    public RedisKey Workers { get; }

    /// <summary>Worker id → JSON advertisement of the functions it offers.</summary>
    public RedisKey WorkerFunctions { get; }

    /// <summary>Live controllers; score = heartbeat deadline.</summary>
    public RedisKey Controllers { get; }

    /// <summary>Controller id → JSON details (last tick).</summary>
    public RedisKey ControllerDetails { get; }

    /// <summary>Published when the ready queue goes from empty to non-empty, so idle workers wake without polling.</summary>
    public RedisChannel WakeChannel { get; }

    /// <summary>
    /// One worker's own channel: a new single job that job_submit.lua gave it, already started (state 2, attempt 1,
    /// leased to it), as <c>from:job_id\nto\ncmd\ndata</c>. The script builds the name as the wake channel's, <c>:</c>, the worker id.
    /// </summary>
    public RedisChannel WorkerChannel(string workerId) => RedisChannel.Literal($"{WakeChannelName}:{workerId}");

    /// <summary>Published with <c>from:job_id</c> when a watched job finishes, for long-polls.</summary>
    public RedisChannel DoneChannel { get; }

    /// <summary>Published with <c>from:job_id</c> of running jobs that must stop (workflow cancelled).</summary>
    public RedisChannel CancelChannel { get; }

    /// <summary>Published with <c>from:job_id</c> of a runner asked to stop.</summary>
    public RedisChannel StopChannel { get; }

    /// <summary>The channel name as a script argument (scripts get channels through ARGV).</summary>
    public string WakeChannelName => WakeChannel.ToString();

    public string DoneChannelName => DoneChannel.ToString();
}
