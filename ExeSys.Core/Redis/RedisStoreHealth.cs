using System.Diagnostics;
using System.Globalization;
using ExeSys.Core.Configuration;
using ExeSys.Core.Hosting;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IStoreHealth"/> on Redis: one PING, then <c>INFO memory</c> of each primary for memory pressure (the
/// fullest one on a cluster). Near maxmemory, or under an eviction policy that ExeSys:Redis:AllowEviction does not
/// allow, the report names the problem: the policy can be changed on a running Redis, after the start-up check.
/// </summary>
public sealed class RedisStoreHealth(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IStoreHealth
{
    public async Task<StoreHealthReport> CheckAsync()
    {
        double latency;
        try
        {
            var started = Stopwatch.GetTimestamp();
            await redis.GetDatabase().PingAsync();
            latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        catch (RedisException ex)
        {
            return new StoreHealthReport(false, ex.Message, null);
        }

        StoreMemoryReport? memory;
        try
        {
            memory = Report(await RedisMemory.ReadAsync(redis));
        }
        catch (RedisServerException)
        {
            // A managed Redis that refuses INFO: memory cannot be told, which is no reason to be unready.
            memory = null;
        }
        catch (RedisException ex)
        {
            return new StoreHealthReport(false, ex.Message, null);
        }

        return new StoreHealthReport(true, "ok", latency, memory);
    }

    private StoreMemoryReport? Report(IReadOnlyList<RedisMemory> servers)
    {
        if (servers.Count == 0)
        {
            return null;
        }

        var fullest = servers.MaxBy(s => s.UsedRatio ?? 0)!;
        var evicting = servers.FirstOrDefault(s => s.Evicts);
        string? problem = null;
        if (fullest.UnderPressure)
        {
            problem = string.Create(CultureInfo.InvariantCulture,
                $"Redis {fullest.Server} is {fullest.UsedRatio * 100:0}% full: used_memory {fullest.UsedBytes} of maxmemory {fullest.MaxBytes} bytes; it refuses writes (OOM) above 100%, and ExeSys answers 503 then. Raise maxmemory or free memory.");
        }
        else if (evicting is not null && !options.Value.AllowEviction)
        {
            problem = RedisEvictionPolicyCheck.Refusal(evicting);
        }

        return new StoreMemoryReport(fullest.UsedBytes, fullest.MaxBytes, (evicting ?? fullest).Policy, problem);
    }
}
