using System.Reflection;

namespace ExeSys.Core.Redis;

/// <summary>
/// The Lua scripts behind every state transition, read once from embedded resources (Redis/Scripts/*.lua).
/// Each goes to Redis as EVALSHA by its precomputed hash (<see cref="RedisScriptExtensions.EvaluateAsync"/>).
/// </summary>
internal static class LuaScripts
{
    // Declared first: static fields initialize in text order, and every Load below prepends it.
    private static readonly string Common = Read("_common");

    public static readonly RedisScript JobSubmit = Load("job_submit");
    public static readonly RedisScript JobGet = Load("job_get");
    public static readonly RedisScript JobStart = Load("job_start");
    public static readonly RedisScript JobFinish = Load("job_finish");
    public static readonly RedisScript JobRelease = Load("job_release");
    public static readonly RedisScript QueueEnqueue = Load("queue_enqueue");
    public static readonly RedisScript QueueClaim = Load("queue_claim");
    public static readonly RedisScript QueueIdle = Load("queue_idle");
    public static readonly RedisScript QueueRequeue = Load("queue_requeue");
    public static readonly RedisScript QueueRenew = Load("queue_renew");
    public static readonly RedisScript QueueExpired = Load("queue_expired");
    public static readonly RedisScript RegistryHeartbeat = Load("registry_heartbeat");
    public static readonly RedisScript RegistryLive = Load("registry_live");
    public static readonly RedisScript RegistryLeave = Load("registry_leave");
    public static readonly RedisScript QueueAck = Load("queue_ack");
    public static readonly RedisScript QueueDue = Load("queue_due");
    public static readonly RedisScript WorkflowSubmit = Load("workflow_submit");
    public static readonly RedisScript WorkflowGet = Load("workflow_get");
    public static readonly RedisScript WorkflowControl = Load("workflow_control");
    public static readonly RedisScript WorkflowTrack = Load("workflow_track");
    public static readonly RedisScript JobProgress = Load("job_progress");
    public static readonly RedisScript JobStop = Load("job_stop");
    public static readonly RedisScript EventAwait = Load("event_await");
    public static readonly RedisScript EventWait = Load("event_wait");
    public static readonly RedisScript EventPost = Load("event_post");
    public static readonly RedisScript EventDeliver = Load("event_deliver");
    public static readonly RedisScript ArchiveClaim = Load("archive_claim");
    public static readonly RedisScript ArchiveRead = Load("archive_read");
    public static readonly RedisScript ArchiveDone = Load("archive_done");
    public static readonly RedisScript DefinitionSave = Load("definition_save");

    /// <summary>The names of the embedded scripts (their file names without .lua), _common among them.</summary>
    internal static IEnumerable<string> Names =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".lua", StringComparison.Ordinal))
            .Select(r => r[ResourcePrefix.Length..^".lua".Length]);

    /// <summary>A script's own text, as embedded: without the shared helpers that <see cref="Load"/> prepends.</summary>
    internal static string Source(string name) => Read(name);

    private const string ResourcePrefix = "ExeSys.Scripts.";

    /// <summary>Every script starts with the shared helpers of _common.lua (key names, the job snapshot, starting a job, list splitting).</summary>
    private static RedisScript Load(string name) => new(name, Common + "\n" + Read(name));

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"{ResourcePrefix}{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in {typeof(LuaScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
