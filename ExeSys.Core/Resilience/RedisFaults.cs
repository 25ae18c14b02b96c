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
    /// Redis states that pass by themselves: replaying its AOF after a restart (LOADING), a busy script (BUSY), or a
    /// replica or cluster not ready yet.
    /// </summary>
    private static readonly string[] TransientReplies = ["LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"];

    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => TransientReplies.Any(e => server.Message.StartsWith(e, StringComparison.Ordinal)),
        // StackExchange.Redis 2.x can lose a race with its own socket teardown when Redis goes away mid-write and throw
        // the pipe's "Writing is not allowed after writer was completed" instead of a RedisConnectionException
        // (StackExchange.Redis issues #2692 and #3205). It means the same thing: the connection dropped.
        InvalidOperationException when FromRedisClient(exception) => true,
        // When Redis hangs (it accepts connections but does not answer), StackExchange.Redis can also fail a pending
        // command with TaskCanceledException. ExeSys never passes a token into the client, so a cancellation thrown
        // from inside it is the client giving up on Redis, not the caller cancelling.
        OperationCanceledException when FromRedisClient(exception) => true,
        _ => false,
    };

    private static bool FromRedisClient(Exception exception) =>
        exception.StackTrace?.Contains("StackExchange.Redis.", StringComparison.Ordinal) == true;
}
