using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>Reads a queue's lanes for assertions: the jobs waiting in it, whatever their function.</summary>
public static class QueueInspection
{
    /// <summary>Waiting jobs over every lane of the queue (the lanes its index lists).</summary>
    public static async Task<long> ReadyCountAsync(this IDatabase db, QueueKeys queue)
    {
        long total = 0;
        foreach (var fn in await db.SortedSetRangeByRankAsync(queue.Lanes))
        {
            total += await db.SortedSetLengthAsync(queue.Lane((string)fn!));
        }

        return total;
    }

    /// <summary>The waiting members with their scores, over every lane, lowest score first.</summary>
    public static async Task<IReadOnlyList<SortedSetEntry>> ReadyAsync(this IDatabase db, QueueKeys queue)
    {
        var all = new List<SortedSetEntry>();
        foreach (var fn in await db.SortedSetRangeByRankAsync(queue.Lanes))
        {
            all.AddRange(await db.SortedSetRangeByRankWithScoresAsync(queue.Lane((string)fn!)));
        }

        return [.. all.OrderBy(e => e.Score)];
    }

    /// <summary>A member's queue score in whichever lane holds it, or null.</summary>
    public static async Task<double?> ReadyScoreAsync(this IDatabase db, QueueKeys queue, RedisValue member)
    {
        foreach (var fn in await db.SortedSetRangeByRankAsync(queue.Lanes))
        {
            if (await db.SortedSetScoreAsync(queue.Lane((string)fn!), member) is { } score)
            {
                return score;
            }
        }

        return null;
    }
}
