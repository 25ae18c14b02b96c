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
    public RedisScript(string name, string text)
    {
        Name = name;
        Text = text;
#pragma warning disable CA5350 // Not security: SHA1 is how Redis names a cached script (EVALSHA).
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    public string Name { get; }

    public string Text { get; }

    /// <summary>The SHA1 of the UTF-8 text: the name Redis's script cache knows it by.</summary>
    public byte[] Hash { get; }

    public override string ToString() => Name;
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
