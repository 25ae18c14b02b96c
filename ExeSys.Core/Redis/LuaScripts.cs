using System.Reflection;

namespace ExeSys.Core.Redis;

/// <summary>
/// The Lua scripts behind every state transition, read once from embedded resources (Redis/Scripts/*.lua).
/// Each goes to Redis as EVALSHA by its precomputed hash (<see cref="RedisScriptExtensions.EvaluateAsync"/>).
/// Every script's Redis 7 flags are declared here, in the one list below (<see cref="ScriptAccess"/>): how it behaves
/// when Redis is full (maxmemory with noeviction) or a read-only replica.
/// </summary>
internal static class LuaScripts
{
    // Declared first: static fields initialize in text order, and every Load below prepends it.
    private static readonly string Common = Read("_common");
    private static readonly string Lanes = Read("_lanes");
    private static readonly string ScheduleKeys = Read("_schedules");

    public static readonly RedisScript JobSubmit = Load("job_submit", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript JobGet = Load("job_get", ScriptAccess.AllowOom);
    public static readonly RedisScript JobStart = Load("job_start", ScriptAccess.Atomic);
    public static readonly RedisScript JobFinish = Load("job_finish", ScriptAccess.Atomic);
    public static readonly RedisScript JobRelease = Load("job_release", ScriptAccess.Atomic);
    public static readonly RedisScript QueueEnqueue = Load("queue_enqueue", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript QueueClaim = Load("queue_claim", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript QueueIdle = Load("queue_idle", ScriptAccess.Atomic);
    public static readonly RedisScript QueueRequeue = Load("queue_requeue", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript QueueRenew = Load("queue_renew", ScriptAccess.AllowOom, lanes: true);
    public static readonly RedisScript QueueExpired = Load("queue_expired", ScriptAccess.NoWrites);
    public static readonly RedisScript RegistryHeartbeat = Load("registry_heartbeat", ScriptAccess.AllowOom);
    public static readonly RedisScript RegistryLive = Load("registry_live", ScriptAccess.NoWrites);
    public static readonly RedisScript RegistryLeave = Load("registry_leave", ScriptAccess.AllowOom);
    public static readonly RedisScript QueueAck = Load("queue_ack", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript QueueDue = Load("queue_due", ScriptAccess.Atomic, lanes: true);
    public static readonly RedisScript QueueUnserved = Load("queue_unserved", ScriptAccess.Atomic);
    public static readonly RedisScript QueueControl = Load("queue_control", ScriptAccess.Atomic);
    public static readonly RedisScript QueueStats = Load("queue_stats", ScriptAccess.NoWrites, lanes: true);
    public static readonly RedisScript WorkflowSubmit = Load("workflow_submit", ScriptAccess.Atomic);
    public static readonly RedisScript WorkflowGet = Load("workflow_get", ScriptAccess.NoWrites);
    public static readonly RedisScript WorkflowControl = Load("workflow_control", ScriptAccess.Atomic);
    public static readonly RedisScript WorkflowTrack = Load("workflow_track", ScriptAccess.Atomic);
    public static readonly RedisScript JobProgress = Load("job_progress", ScriptAccess.Atomic);
    public static readonly RedisScript JobStop = Load("job_stop", ScriptAccess.Atomic);
    public static readonly RedisScript JobRunNow = Load("job_run_now", ScriptAccess.Atomic);
    public static readonly RedisScript EventAwait = Load("event_await", ScriptAccess.Atomic);
    public static readonly RedisScript EventWait = Load("event_wait", ScriptAccess.Atomic);
    public static readonly RedisScript EventPost = Load("event_post", ScriptAccess.Atomic);
    public static readonly RedisScript EventDeliver = Load("event_deliver", ScriptAccess.Atomic);
    public static readonly RedisScript LatchAcquire = Load("latch_acquire", ScriptAccess.Atomic);
    public static readonly RedisScript LatchRelease = Load("latch_release", ScriptAccess.Atomic);
    public static readonly RedisScript LatchWait = Load("latch_wait", ScriptAccess.Atomic);
    public static readonly RedisScript ArchiveClaim = Load("archive_claim", ScriptAccess.Atomic);
    public static readonly RedisScript ArchiveRead = Load("archive_read", ScriptAccess.NoWrites);
    public static readonly RedisScript ArchiveDone = Load("archive_done", ScriptAccess.Atomic);
    public static readonly RedisScript DefinitionSave = Load("definition_save", ScriptAccess.Atomic);
    public static readonly RedisScript LimitsPublish = Load("limits_publish", ScriptAccess.Atomic);
    public static readonly RedisScript ScheduleSave = Load("schedule_save", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript ScheduleControl = Load("schedule_control", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript ScheduleTake = Load("schedule_take", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript ScheduleFire = Load("schedule_fire", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript SchedulePending = Load("schedule_pending", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript ScheduleSettle = Load("schedule_settle", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript ScheduleTrigger = Load("schedule_trigger", ScriptAccess.Atomic, schedules: true);
    public static readonly RedisScript KeySave = Load("key_save", ScriptAccess.Atomic);
    public static readonly RedisScript KeyRevoke = Load("key_revoke", ScriptAccess.Atomic);
    public static readonly RedisScript StatsAdd = Load("stats_add", ScriptAccess.Atomic);
    public static readonly RedisScript StatsRead = Load("stats_read", ScriptAccess.NoWrites);
    public static readonly RedisScript IndexAdd = Load("index_add", ScriptAccess.Atomic);

    /// <summary>The names of the embedded scripts (their file names without .lua), _common among them.</summary>
    internal static IEnumerable<string> Names =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".lua", StringComparison.Ordinal))
            .Select(r => r[ResourcePrefix.Length..^".lua".Length]);

    /// <summary>A script's own text, as embedded: without the shared helpers that <see cref="Load"/> prepends.</summary>
    internal static string Source(string name) => Read(name);

    private const string ResourcePrefix = "ExeSys.Scripts.";

    /// <summary>
    /// Every script starts with its flags (the shebang line Redis 7 reads them from must be the first line of the text
    /// it is given), then the shared helpers of _common.lua (key names, the job snapshot, starting a job, list splitting).
    /// </summary>
    /// <param name="lanes">The script meets limited jobs (it enqueues, claims, acks, renews or requeues): _lanes.lua follows _common.lua.</param>
    /// <param name="schedules">A schedule script: _schedules.lua (a schedule's key names) follows _common.lua.</param>
    private static RedisScript Load(string name, ScriptAccess access, bool lanes = false, bool schedules = false) =>
        new(name, Shebang(access) + "\n" + Common + "\n" + (lanes ? Lanes + "\n" : "") + (schedules ? ScheduleKeys + "\n" : "") + Read(name), access);

    /// <summary>
    /// <c>allow-cross-slot-keys</c> on every script keeps what a script without a shebang may do: on a single Redis, a
    /// script that combines slots (RedisOptions.CombineSlots) reaches keys of several slots, and several scripts build
    /// the keys they touch (a claim starts the jobs it takes). Without it, a flagged script on Redis Cluster may touch
    /// keys of its declared slot only. ExeSys's scripts keep to one slot on a cluster (RedisTopology), so the flag
    /// loosens nothing there.
    /// </summary>
    internal static string Shebang(ScriptAccess access) => access switch
    {
        ScriptAccess.Atomic => "#!lua flags=allow-cross-slot-keys",
        ScriptAccess.NoWrites => "#!lua flags=no-writes,allow-cross-slot-keys",
        ScriptAccess.AllowOom => "#!lua flags=allow-oom,allow-cross-slot-keys",
        _ => throw new ArgumentOutOfRangeException(nameof(access), access, "Unknown script access."),
    };

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"{ResourcePrefix}{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in {typeof(LuaScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
