using System.Reflection;

namespace ExeSys.Core.Redis;

/// <summary>
/// The Lua scripts behind every state transition, read once from embedded resources (Redis/Scripts/*.lua).
/// StackExchange.Redis sends each as EVAL once per connection and as EVALSHA afterwards.
/// </summary>
internal static class LuaScripts
{
    // Declared first: static fields initialize in text order, and every Load below prepends it.
    private static readonly string Common = Read("_common");

    public static readonly string JobSubmit = Load("job_submit");
    public static readonly string JobGet = Load("job_get");
    public static readonly string JobStart = Load("job_start");
    public static readonly string JobFinish = Load("job_finish");
    public static readonly string JobRelease = Load("job_release");
    public static readonly string QueueEnqueue = Load("queue_enqueue");
    public static readonly string QueueClaim = Load("queue_claim");
    public static readonly string QueueIdle = Load("queue_idle");
    public static readonly string QueueRequeue = Load("queue_requeue");
    public static readonly string QueueRenew = Load("queue_renew");
    public static readonly string QueueExpired = Load("queue_expired");
    public static readonly string RegistryHeartbeat = Load("registry_heartbeat");
    public static readonly string RegistryLive = Load("registry_live");
    public static readonly string RegistryLeave = Load("registry_leave");
    public static readonly string QueueAck = Load("queue_ack");
    public static readonly string QueueDue = Load("queue_due");
    public static readonly string WorkflowSubmit = Load("workflow_submit");
    public static readonly string WorkflowGet = Load("workflow_get");
    public static readonly string WorkflowControl = Load("workflow_control");
    public static readonly string JobProgress = Load("job_progress");
    public static readonly string JobStop = Load("job_stop");
    public static readonly string EventAwait = Load("event_await");
    public static readonly string EventWait = Load("event_wait");
    public static readonly string EventPost = Load("event_post");
    public static readonly string EventDeliver = Load("event_deliver");
    public static readonly string ArchiveClaim = Load("archive_claim");
    public static readonly string ArchiveRead = Load("archive_read");
    public static readonly string ArchiveDone = Load("archive_done");

    /// <summary>Every script starts with the shared helpers of _common.lua (key names, list splitting).</summary>
    private static string Load(string name) => Common + "\n" + Read(name);

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"ExeSys.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in {typeof(LuaScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
