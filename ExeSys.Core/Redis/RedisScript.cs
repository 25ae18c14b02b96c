using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// One Lua script and its SHA1, computed once. <see cref="RedisScriptExtensions.EvaluateAsync"/> sends it as
/// <c>EVALSHA</c> by that hash. StackExchange.Redis's text overload instead looks the script text up in a per-server
/// table on every call, hashing the whole text each time: with the shared helpers prepended, that was a fifth of the
/// worker's CPU under load.
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string name, string text, ScriptAccess access = ScriptAccess.Atomic)
    {
        Name = name;
        Text = text;
        Access = access;
#pragma warning disable CA5350 // Not security: SHA1 is how Redis names a cached script (EVALSHA).
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    public string Name { get; }

    public string Text { get; }

    /// <summary>What the script's shebang line tells Redis (LuaScripts declares it); a script without one is Atomic.</summary>
    public ScriptAccess Access { get; }

    /// <summary>The SHA1 of the UTF-8 text: the name Redis's script cache knows it by.</summary>
    public byte[] Hash { get; }

    public override string ToString() => Name;
}

/// <summary>
/// How a script behaves when Redis is full (maxmemory reached under noeviction) or is a read-only replica, as its Redis 7
/// shebang line (<c>#!lua flags=...</c>) declares it. A flagged script is checked once, before it runs: under OOM
/// Redis refuses it whole (an OOM error, nothing written) unless it allows OOM. A script without flags would instead
/// be stopped at its first write command that may grow memory, which can leave a script half-applied when an earlier
/// write (a ZREM, an HDEL) already ran.
/// </summary>
public enum ScriptAccess
{
    /// <summary>Writes. Refused whole under OOM and on a replica (READONLY), so it runs entirely or not at all.</summary>
    Atomic,

    /// <summary>Only reads (<c>no-writes</c>): runs under OOM and on replicas; Redis refuses any write in it.</summary>
    NoWrites,

    /// <summary>
    /// Writes that keep memory flat (<c>allow-oom</c>): runs under OOM. For the heartbeat, lease renewals and leaving
    /// the registry (scores and fields of members that exist), and a read that marks its job watched, so that workers stay
    /// registered, leases stay held and jobs stay readable while Redis is full.
    /// </summary>
    AllowOom,
}

public static class RedisScriptExtensions
{
    /// <summary>
    /// Runs <paramref name="script"/> by its hash. A Redis that does not know it yet (restarted, failed over, or
    /// <c>SCRIPT FLUSH</c>ed) answers NOSCRIPT without running anything; the script then goes once as text, which
    /// also loads it for the calls after. Fire-and-forget calls always send the text overload: their NOSCRIPT would
    /// go unseen.
    /// </summary>
    public static Task<RedisResult> EvaluateAsync(this IDatabaseAsync db, RedisScript script, RedisKey[]? keys = null, RedisValue[]? args = null, CommandFlags flags = CommandFlags.None)
    {
        if ((flags & CommandFlags.FireAndForget) != 0)
        {
            return db.ScriptEvaluateAsync(script.Text, keys, args, flags);
        }

        var byHash = db.ScriptEvaluateAsync(script.Hash, keys, args, flags);
        return byHash.IsCompletedSuccessfully ? byHash : WithTextFallbackAsync(db, byHash, script, keys, args, flags);
    }

    private static async Task<RedisResult> WithTextFallbackAsync(IDatabaseAsync db, Task<RedisResult> byHash, RedisScript script, RedisKey[]? keys, RedisValue[]? args, CommandFlags flags)
    {
        try
        {
            return await byHash;
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(script.Text, keys, args, flags);
        }
    }
}
