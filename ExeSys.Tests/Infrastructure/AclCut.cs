using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// Cuts a multi-step operation after a chosen step: Redis's ACL lets the default user (every ExeSys process) touch only
/// the keys of some patterns while the operation runs, so the calls on other keys fail, then gives back every key.
/// Only on a Redis of the fixture's own: the shared one must not change its ACL under other tests.
/// </summary>
public static class AclCut
{
    /// <param name="patterns">ACL key patterns, each starting with <c>~</c>.</param>
    public static async Task<T> WithKeysOnlyAsync<T>(this IConnectionMultiplexer redis, IEnumerable<string> patterns, Func<Task<T>> action)
    {
        var db = redis.GetDatabase();
        object[] args = ["SETUSER", "default", "resetkeys", .. patterns];
        await db.ExecuteAsync("ACL", args);
        try
        {
            return await action();
        }
        finally
        {
            await db.ExecuteAsync("ACL", "SETUSER", "default", "allkeys");
        }
    }
}
