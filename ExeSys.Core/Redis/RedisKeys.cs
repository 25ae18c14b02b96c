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
/// <item>Queues (<see cref="QueueKeys"/>): the default queue's keys under <c>P:{queue}</c>, a named queue's under
/// <c>P:{queue:&lt;name&gt;}</c>, each queue one slot of its own: per-function lanes <c>…:ready:&lt;fn&gt;</c>, their index
/// <c>…:lanes</c>, <c>…:inflight</c>, <c>…:scheduled</c>, idle workers per offer signature <c>…:idle:&lt;sig&gt;</c>.</item>
/// <item>Registry: <c>P:{registry}:workers</c>, <c>P:{registry}:functions</c>, <c>P:{registry}:controllers</c>.</item>
/// <item>Events (wait_event): <c>P:event:{name}:waiters</c> (hash) and <c>P:event:{name}:recent</c> (sorted set),
/// one slot per event name.</item>
/// <item>Schedules (<see cref="ScheduleKeys"/>): all under <c>P:{schedules}</c>, one slot of their own.</item>
/// <item>Latches (wait_acquire, wait_release, wait_countdown): <c>P:latch:{name}:holders</c> and
/// <c>P:latch:{name}:waiters</c> (sorted sets), one slot per latch name.</item>
/// </list>
/// </summary>
public sealed class RedisKeys
{
    private readonly string _prefix;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, QueueKeys> _queues = new(StringComparer.Ordinal);

    public RedisKeys(IOptions<RedisOptions> options) : this(options.Value.KeyPrefix)
    {
    }

    public RedisKeys(string prefix)
    {
        _prefix = prefix;
        Default = Queue(QueueKeys.DefaultName);
        Inflight = Default.Inflight;
        Scheduled = Default.Scheduled;
        ArchiveBacklog = Default.ArchiveBacklog;
        WorkflowDefinitions = $"{prefix}:{{definitions}}:workflows";
        Schedules = new ScheduleKeys(prefix);
        CancelChannel = RedisChannel.Literal($"{prefix}:events:cancel");
        StopChannel = RedisChannel.Literal($"{prefix}:events:stop");
        Workers = $"{prefix}:{{registry}}:workers";
        WorkerFunctions = $"{prefix}:{{registry}}:functions";
        Controllers = $"{prefix}:{{registry}}:controllers";
        ControllerDetails = $"{prefix}:{{registry}}:controller_details";
        WakeChannel = Default.WakeChannel;
        DoneChannel = RedisChannel.Literal($"{prefix}:events:done");
        RunsChannel = RedisChannel.Literal($"{prefix}:events:runs");
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

    /// <summary>
    /// A tenant's recent jobs for the console's job list (<c>P:{recent:&lt;tenant&gt;}:job-log</c>, a stream): one entry
    /// per job, field <c>m</c> = <c>from:job_id</c> as stored, its id Redis's add time (so strictly newer per add, even
    /// within a millisecond). Single jobs and step-protocol steps; graph nodes are not in it (their run is in
    /// <see cref="RecentRuns"/>). Bound: ExeSys:Console:RecentJobs, trimmed approximately by each XADD (MAXLEN ~). One
    /// slot per tenant; job_submit.lua adds to it where it may take that slot.
    /// </summary>
    public RedisKey RecentJobs(string tenant) => $"{_prefix}:{{recent:{tenant}}}:job-log";

    /// <summary>A tenant's recent graph runs for the console's run list: as <see cref="RecentJobs"/>, bound ExeSys:Console:RecentRuns.</summary>
    public RedisKey RecentRuns(string tenant) => $"{_prefix}:{{recent:{tenant}}}:run-log";

    /// <summary>The jobs waiting for an event (wait_event): <c>from:job_id</c> → condition JSON ('' = any).</summary>
    public RedisKey EventWaiters(string name) => $"{_prefix}:event:{{{name}}}:waiters";

    /// <summary>An event's recent posts (score = post time ms), kept for ExeSys:Jobs:EventRetention for waiters that register late.</summary>
    public RedisKey EventRecent(string name) => $"{_prefix}:event:{{{name}}}:recent";

    /// <summary>
    /// A latch's holders (wait_acquire): holder → until when the hold counts (Redis ms). The latch's count is the
    /// number of holders whose hold has not lapsed; the key expires with the last hold, so a latch at zero is no key.
    /// </summary>
    public RedisKey LatchHolders(string name) => $"{_prefix}:latch:{{{name}}}:holders";

    /// <summary>The jobs waiting for a latch to reach zero (wait_countdown): <c>from:job_id</c> → until when the wait counts (Redis ms).</summary>
    public RedisKey LatchWaiters(string name) => $"{_prefix}:latch:{{{name}}}:waiters";

    /// <summary>The schedules' keys (cron and interval schedules).</summary>
    public ScheduleKeys Schedules { get; }

    /// <summary>API keys: id → record JSON (the secret only as its SHA-256 hash). In the <c>{auth}</c> slot with <see cref="AuthRevoked"/> and <see cref="AuthVersion"/>.</summary>
    public RedisKey AuthKeys => $"{_prefix}:{{auth}}:keys";

    /// <summary>Revoked API keys: id → when (Redis ms).</summary>
    public RedisKey AuthRevoked => $"{_prefix}:{{auth}}:revoked";

    /// <summary>The key table's version, counted up by every change, which API processes compare with theirs.</summary>
    public RedisKey AuthVersion => $"{_prefix}:{{auth}}:version";

    /// <summary>Published with the new version on every change of the key table.</summary>
    public string AuthChannelName => $"{_prefix}:events:auth";

    public RedisChannel AuthChannel => RedisChannel.Literal(AuthChannelName);

    /// <summary>
    /// Run statistics of one minute (Unix minute of Redis's clock) for <c>GET /stats</c>: a hash of
    /// <c>&lt;function&gt;|&lt;outcome&gt;</c> and <c>&lt;function&gt;|#&lt;bucket&gt;</c> counts (Stats/StatsField) that every worker
    /// adds to once per flush. Kept a little over an hour; all statistics keys share the <c>{stats}</c> slot.
    /// </summary>
    public RedisKey StatsMinute(long minute) => $"{_prefix}:{{stats}}:m:{minute}";

    /// <summary>The same counts for one hour (Unix hour of Redis's clock), kept a little over a day.</summary>
    public RedisKey StatsHour(long hour) => $"{_prefix}:{{stats}}:h:{hour}";

    /// <summary>Named workflow definitions: name → JSON (a non-default tenant's names qualified, <c>tenant~name</c>).</summary>
    public RedisKey WorkflowDefinitions { get; }

    /// <summary>
    /// Ended jobs the controller has yet to archive into MongoDB (only with MongoDB history on), as <c>from:job_id</c>;
    /// score = when the entry may be taken (its end, or the lease deadline of the archiver that took it). In the queue
    /// slot, so the script that drops a job's lease also adds it here.
    /// </summary>
    public RedisKey ArchiveBacklog { get; }

    /// <summary>The default queue's jobs waiting for a retry; score = when the next attempt may start (ms).</summary>
    public RedisKey Scheduled { get; }

    /// <summary>The prefix, passed to scripts that build a run's node keys.</summary>
    public string Prefix => _prefix;

    /// <summary>The keys of one queue (built once per name).</summary>
    public QueueKeys Queue(string name) => _queues.GetOrAdd(name, static (n, prefix) => new QueueKeys(prefix, n), _prefix);

    /// <summary>The default queue's keys, <c>P:{queue}:…</c>: the names the single queue had before named queues.</summary>
    public QueueKeys Default { get; }

    /// <summary>The default queue's claimed jobs; score = lease deadline in Redis server ms.</summary>
    public RedisKey Inflight { get; }

    /// <summary>
    /// The queue names a worker advertises (<c>P:{registry}:queues</c>, a set the heartbeat adds to), so a queue whose
    /// workers have all gone is still looked after (leases, retries, the unserved timeout, <c>GET /queues</c>).
    /// </summary>
    public RedisKey KnownQueues => $"{_prefix}:{{registry}}:queues";

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

    /// <summary>
    /// Published with a graph run's job_id (as stored: tenant-qualified) when one of its nodes starts or ends, or an
    /// operator acts on it; the console's live run pages follow it. Mirrored by publish_run_change in Scripts/_common.lua.
    /// </summary>
    public RedisChannel RunsChannel { get; }

    /// <summary>Published with <c>from:job_id</c> of running jobs that must stop (workflow cancelled).</summary>
    public RedisChannel CancelChannel { get; }

    /// <summary>Published with <c>from:job_id</c> of a runner asked to stop.</summary>
    public RedisChannel StopChannel { get; }

    /// <summary>The channel name as a script argument (scripts get channels through ARGV).</summary>
    public string WakeChannelName => WakeChannel.ToString();

    public string DoneChannelName => DoneChannel.ToString();
}

/// <summary>
/// The keys of one queue, all under its hash tag: <c>P:{queue}</c> for the default queue (the names it always had),
/// <c>P:{queue:&lt;name&gt;}</c> for a named one, so each queue is one Redis Cluster slot. Lua builds the per-function
/// and per-signature names from <see cref="Base"/> (lane_key in _common.lua).
/// </summary>
public sealed class QueueKeys
{
    /// <summary>The queue every function is routed to unless configured otherwise.</summary>
    public const string DefaultName = "default";

    public QueueKeys(string prefix, string name)
    {
        Name = name;
        Base = name == DefaultName ? $"{prefix}:{{queue}}" : $"{prefix}:{{queue:{name}}}";
        Lanes = $"{Base}:lanes";
        Inflight = $"{Base}:inflight";
        Scheduled = $"{Base}:scheduled";
        ScheduledFunctions = $"{Base}:scheduled_fn";
        IdleSignatures = $"{Base}:idle_sigs";
        LimitedLanes = $"{Base}:limited";
        ArchiveBacklog = $"{Base}:archive";
        WakeChannel = RedisChannel.Literal($"{Base}:wake");
    }

    public string Name { get; }

    /// <summary>The common start of the queue's key names, passed to the scripts that build lane and idle names.</summary>
    public string Base { get; }

    /// <summary>The jobs of one function waiting for a worker; score = enqueue time in ms, shifted by priority.</summary>
    public RedisKey Lane(string function) => $"{Base}:ready:{function}";

    /// <summary>
    /// The published limits (ExeSys:Limits) in this queue's slot, where its claims read them: scope
    /// (<c>f:&lt;function&gt;</c>, <c>q:&lt;queue&gt;</c>) → <c>max|rate|period_ms</c>. Mirrored in Scripts/_lanes.lua, as
    /// are the limit keys below.
    /// </summary>
    public RedisKey Limits => $"{Base}:limits";

    /// <summary>Limited lanes at a limit (tokens <c>~&lt;lane&gt;</c>); score = when to look again.</summary>
    public RedisKey Parked => $"{Base}:parked";

    /// <summary>The limited jobs waiting in one limited lane (<c>&lt;function&gt;|&lt;key&gt;|&lt;N&gt;</c>); score as in <see cref="Lane"/>.</summary>
    public RedisKey LimitedLane(string lane) => $"{Base}:lane:{lane}";

    /// <summary>The running jobs holding a slot of one limit scope; score = their lease deadline.</summary>
    public RedisKey LimitSlots(string scope) => $"{Base}:slots:{scope}";

    /// <summary>The starts of the last rate period of one limit scope (a sliding log); score = start ms.</summary>
    public RedisKey RateLog(string scope) => $"{Base}:rate:{scope}";

    /// <summary>The non-empty lanes: function → score of its lane's head, or at most one job's gap before it (a claim sets the last score it took; an enqueue lowers it).</summary>
    public RedisKey Lanes { get; }

    /// <summary>Claimed jobs; score = lease deadline in Redis server ms.</summary>
    public RedisKey Inflight { get; }

    /// <summary>Jobs waiting for a retry or a deferral; score = when the next attempt may start (ms).</summary>
    public RedisKey Scheduled { get; }

    /// <summary>The function of each scheduled job (member → fn), so it goes back onto the right lane when due.</summary>
    public RedisKey ScheduledFunctions { get; }

    /// <summary>
    /// The member that marks a paused queue, in its <see cref="Lanes"/> index (where every claim's one ZMSCORE already
    /// looks) and in each of its <see cref="Idle"/> sets (scored +inf, so the handoff's ZPOPMAX meets it first): nothing
    /// new starts from the queue, and an unpaused queue pays no command for the check. '~' cannot begin a function name.
    /// </summary>
    public const string PausedMarker = "~paused";

    /// <summary>The offer signatures whose workers have waited in this queue's idle sets, so a pause reaches them all.</summary>
    public RedisKey IdleSignatures { get; }

    /// <summary>The limited lanes with waiting jobs (lane names), so GET /queues counts their jobs.</summary>
    public RedisKey LimitedLanes { get; }

    /// <summary>Ended jobs of this queue not yet archived into MongoDB (history on only).</summary>
    public RedisKey ArchiveBacklog { get; }

    /// <summary>
    /// Idle workers of one offer signature waiting for a handoff; score = until when the wait counts (Redis server ms).
    /// </summary>
    public RedisKey Idle(string signature) => $"{Base}:idle:{signature}";

    /// <summary>Published when a lane goes from empty to non-empty (<c>1\n&lt;fn&gt;</c>), or with a handoff.</summary>
    public RedisChannel WakeChannel { get; }

    public string WakeChannelName => WakeChannel.ToString();

    /// <summary>One worker's own channel in this queue: jobs job_submit.lua started for it.</summary>
    public RedisChannel WorkerChannel(string workerId) => RedisChannel.Literal($"{WakeChannelName}:{workerId}");
}

/// <summary>
/// The schedules' keys, all under the hash tag <c>{schedules}</c> (one Redis Cluster slot), so one script fires a batch
/// of them. The scripts build a schedule's own keys from <see cref="Base"/> as <c>&lt;base&gt;:s:&lt;name&gt;</c> and
/// <c>&lt;base&gt;:runs:&lt;name&gt;</c> (Scripts/schedule_*.lua), mirroring <see cref="Schedule"/> and <see cref="Runs"/>.
/// </summary>
public sealed class ScheduleKeys(string prefix)
{
    /// <summary>The common start of the schedules' key names, passed to the scripts.</summary>
    public string Base { get; } = $"{prefix}:{{schedules}}";

    /// <summary>Active schedules (not paused, not ended): name → when a controller takes it next (its next fire time plus jitter, or the lease of the controller that took it), ms.</summary>
    public RedisKey Due => $"{Base}:due";

    /// <summary>The default tenant's schedules (score 0), for listing by name; with <see cref="TenantNames"/>, the bound ExeSys:Schedules:MaxSchedules.</summary>
    public RedisKey Names => $"{Base}:names";

    /// <summary>
    /// Every other tenant's schedules by qualified name <c>&lt;tenant&gt;~&lt;name&gt;</c> (score 0): one tenant's are
    /// the lex range [<c>&lt;tenant&gt;~</c>, <c>&lt;tenant&gt;\x7f</c>), so a tenant lists and counts its own alone.
    /// </summary>
    public RedisKey TenantNames => $"{Base}:tenant_names";

    /// <summary>Firings recorded but not yet settled: <c>name|fire_ms</c> → until when a controller holds it (ms).</summary>
    public RedisKey Pending => $"{Base}:pending";

    /// <summary>One schedule: def (JSON), next, paused, last, buf, ct, ut.</summary>
    public RedisKey Schedule(string name) => $"{Base}:s:{name}";

    /// <summary>One schedule's last firings, newest first: <c>fire_ms|job_id|outcome</c>, at most ExeSys:Schedules:RunsKept.</summary>
    public RedisKey Runs(string name) => $"{Base}:runs:{name}";
}
