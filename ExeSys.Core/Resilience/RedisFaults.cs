using System.Net.Sockets;
using StackExchange.Redis;

namespace ExeSys.Core.Resilience;

/// <summary>
/// The one answer to "did this fail because Redis is briefly away?", shared by the API (503 with Retry-After) and by
/// the background loops (back off and retry). A command that failed this way was either not carried out or is safe to
/// send again: every ExeSys script is idempotent or fenced.
/// </summary>
public static class RedisFaults
{
    /// <summary>
    /// Redis states that pass by themselves, or once an operator acts, and in which Redis carried out nothing of the
    /// command: replaying its AOF after a restart (LOADING), a busy script (BUSY), a replica or cluster not ready yet
    /// (MASTERDOWN, TRYAGAIN, CLUSTERDOWN), a full Redis (OOM: maxmemory reached under noeviction; every ExeSys
    /// script is refused whole then, see <see cref="Redis.ScriptAccess"/>), a primary that became a replica in a
    /// failover or was pointed at another (READONLY), too few replicas for min-replicas-to-write (NOREPLICAS), and a
    /// Redis that refuses writes because its last background save failed (MISCONF).
    /// </summary>
    private static readonly string[] TransientReplies = ["LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "READONLY", "NOREPLICAS", "MISCONF"];

    /// <summary>A full Redis: maxmemory reached under noeviction (the health check reports it as memory pressure).</summary>
    public static bool IsOutOfMemory(Exception exception) =>
        exception is RedisServerException server && server.Message.StartsWith("OOM", StringComparison.Ordinal);

    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => TransientReplies.Any(e => server.Message.StartsWith(e, StringComparison.Ordinal)),
        // StackExchange.Redis 2.x does not always wrap a dropped or hung connection in RedisConnectionException. Seen
        // here: the pipe's "Writing is not allowed after writer was completed" (a race with its own socket teardown,
        // StackExchange.Redis issues #2692 and #3205), Pipelines.Sockets.Unofficial.ConnectionResetException ("Connection
        // reset by peer") while Redis restarts, and TaskCanceledException while Redis hangs. ExeSys passes no token into
        // the client, so a cancellation thrown from inside it is the client giving up on Redis, not the caller cancelling.
        InvalidOperationException or OperationCanceledException or IOException or SocketException when FromRedisClient(exception) => true,
        _ => false,
    };

    /// <summary>Any failure of Redis or of the client talking to it, transient or not (for callers that report rather than retry).</summary>
    public static bool IsRedisFailure(Exception exception) => exception is RedisException || IsTransient(exception);

    /// <summary>
    /// Thrown inside StackExchange.Redis, or surfacing through <see cref="Redis.RedisScriptExtensions"/>, ExeSys's
    /// gateway to it: a script task the client cancels is awaited first there, so its stack holds no client frame.
    /// </summary>
    private static bool FromRedisClient(Exception exception) =>
        exception.StackTrace is { } stack &&
        (stack.Contains("StackExchange.Redis.", StringComparison.Ordinal) ||
         stack.Contains(typeof(Redis.RedisScriptExtensions).FullName + ".", StringComparison.Ordinal));
}
