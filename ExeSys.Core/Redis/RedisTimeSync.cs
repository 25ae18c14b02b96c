using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Keeps <see cref="RedisTime"/> on Redis's clock: at start (before the process's other services start, so the jobs it
/// touches see Redis's time from the first), then every <see cref="Interval"/>, it reads Redis <c>TIME</c> a few times
/// on the shared multiplexer (TIME does not block) and takes the reading with the shortest round trip, corrected by half
/// that trip. It asks the server of the queue's slot: on a cluster, the clock the queue's scripts (leases, due retries,
/// handoff waits) compare with. A failed reading changes nothing: until the first one succeeds the process runs on its
/// own clock (retried every <see cref="Retry"/>), and after that it keeps the last offset.
/// </summary>
public sealed class RedisTimeSync(IConnectionMultiplexer redis, RedisKeys keys, RedisTime time, ILogger<RedisTimeSync> logger) : BackgroundService
{
    /// <summary>How often the offset is measured again once known: drift between two readings is far below a millisecond.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a process that has never read Redis's clock tries again: often, since its worker and controller wait
    /// for that first reading (<see cref="Hosting.ProcessClock.WaitForRedisClockAsync"/>) and its API writes its own
    /// clock's times until then.
    /// </summary>
    public static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(200);

    /// <summary>An offset that moves by this much between two readings is logged: a clock was stepped.</summary>
    private static readonly TimeSpan Notable = TimeSpan.FromSeconds(1);

    private const int Samples = 3;

    private bool _warnedUnknown;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(time.Synced ? Interval : Retry, time.Local, stoppingToken);
                await SyncAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One measurement: follows it, or keeps what the clock had.</summary>
    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (offset, roundTrip) = await MeasureAsync(cancellationToken);
            var before = time.Offset;
            var first = !time.Synced;
            time.Follow(offset);
            if (first || (offset - before).Duration() >= Notable)
            {
                var level = offset.Duration() >= Notable ? LogLevel.Warning : LogLevel.Information;
                logger.Log(level, "Following Redis's clock: it is {OffsetMs:F1} ms ahead of this machine's (negative: behind), read over a {RoundTripMs:F2} ms round trip.",
                    offset.TotalMilliseconds, roundTrip.TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed reading must never stop the process: the clock keeps what it had.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!time.Synced && !_warnedUnknown)
            {
                _warnedUnknown = true;
                logger.LogWarning("Redis's clock is not known yet ({Reason}): this process uses its own clock until Redis answers.", ex.Message);
            }
        }
    }

    private async Task<(TimeSpan Offset, TimeSpan RoundTrip)> MeasureAsync(CancellationToken cancellationToken)
    {
        var server = redis.GetServer(keys.Inflight);
        var best = (Offset: TimeSpan.Zero, RoundTrip: TimeSpan.MaxValue);
        for (var i = 0; i < Samples; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = time.Local.GetTimestamp();
            var localAtSend = time.Local.GetUtcNow();
            var redisNow = await server.TimeAsync();
            var roundTrip = time.Local.GetElapsedTime(sent);
            if (roundTrip < best.RoundTrip)
            {
                // Redis read its clock somewhere in the round trip; the middle is the best guess.
                var redisUtc = new DateTimeOffset(DateTime.SpecifyKind(redisNow, DateTimeKind.Utc));
                best = (redisUtc - (localAtSend + (roundTrip / 2)), roundTrip);
            }
        }

        return best;
    }
}
