using ExeSys.Core.Stats;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IRunStatsStore"/> on Redis: a hash per minute and per hour of Redis's clock (<see cref="RedisKeys.StatsMinute"/>,
/// <see cref="RedisKeys.StatsHour"/>), all in the <c>{stats}</c> slot. A worker's flush is one script that adds its counts
/// to the current minute and hour; a read is one script over the 61 minute and 25 hour hashes its windows span.
/// </summary>
public sealed class RedisRunStats(IConnectionMultiplexer redis, RedisKeys keys, RedisClock clock) : IRunStatsStore
{
    /// <summary>The minute buckets a read merges: the current one and the 60 before it (the hour window).</summary>
    private const int Minutes = 61;

    /// <summary>The hour buckets a read merges: the current one and the 24 before it (the day window).</summary>
    private const int Hours = 25;

    private static readonly long MinuteTtlMs = (long)TimeSpan.FromMinutes(Minutes + 5).TotalMilliseconds;
    private static readonly long HourTtlMs = (long)TimeSpan.FromHours(Hours + 1).TotalMilliseconds;

    public async Task AddAsync(IReadOnlyList<KeyValuePair<string, long>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var now = clock.NowMs;
        var args = new RedisValue[2 + (fields.Count * 2)];
        args[0] = MinuteTtlMs;
        args[1] = HourTtlMs;
        for (var i = 0; i < fields.Count; i++)
        {
            args[2 + (2 * i)] = fields[i].Key;
            args[3 + (2 * i)] = fields[i].Value;
        }

        await redis.GetDatabase().EvaluateAsync(LuaScripts.StatsAdd, [keys.StatsMinute(now / 60_000), keys.StatsHour(now / 3_600_000)], args);
    }

    public async Task<StatsWindows> ReadAsync()
    {
        var now = clock.NowMs;
        var (minute, hour) = (now / 60_000, now / 3_600_000);
        var read = new RedisKey[Minutes + Hours];
        for (var i = 0; i < Minutes; i++)
        {
            read[i] = keys.StatsMinute(minute - i);
        }

        for (var i = 0; i < Hours; i++)
        {
            read[Minutes + i] = keys.StatsHour(hour - i);
        }

        var reply = (RedisResult[])(await redis.GetDatabase().EvaluateAsync(LuaScripts.StatsRead, read, []))!;
        return new StatsWindows(Merge(reply, 0, 2), Merge(reply, 0, Minutes), Merge(reply, Minutes, Hours));
    }

    public async Task<IReadOnlyList<StatsMinute>> ReadMinutesAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Minutes);
        var now = clock.NowMs;
        var first = (now / 60_000) - count + 1;
        var read = new RedisKey[count];
        for (var i = 0; i < count; i++)
        {
            read[i] = keys.StatsMinute(first + i);
        }

        var reply = (RedisResult[])(await redis.GetDatabase().EvaluateAsync(LuaScripts.StatsRead, read, []))!;
        return [.. Enumerable.Range(0, count).Select(i => new StatsMinute(first + i, now, Merge(reply, i, 1)))];
    }

    private static Dictionary<string, long> Merge(RedisResult[] hashes, int first, int count)
    {
        var merged = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = first; i < first + count; i++)
        {
            var pairs = (RedisResult[])hashes[i]!;
            for (var j = 0; j + 1 < pairs.Length; j += 2)
            {
                var field = (string)pairs[j]!;
                merged[field] = merged.GetValueOrDefault(field) + (long)pairs[j + 1];
            }
        }

        return merged;
    }
}
