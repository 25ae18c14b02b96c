using System.Diagnostics;
using ExeSys.Core.Storage;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary><see cref="IStoreHealth"/> on Redis: one PING.</summary>
public sealed class RedisStoreHealth(IConnectionMultiplexer redis) : IStoreHealth
{
    public async Task<StoreHealthReport> CheckAsync()
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            await redis.GetDatabase().PingAsync();
            return new StoreHealthReport(true, "ok", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (RedisException ex)
        {
            return new StoreHealthReport(false, ex.Message, null);
        }
    }
}
