using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Observability.Metrics;

/// <summary>
/// The <c>exesys.redis.round_trip</c> gauge: one PING every <see cref="MetricsOptions.RefreshInterval"/> (6 a minute
/// by default), only while metrics are exported; the gauge shows the last one. Never on a job's path.
/// </summary>
public sealed class RedisRoundTrip : BackgroundService
{
    private readonly IConnectionMultiplexer _redis;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRoundTrip> _logger;
    private double? _seconds;

    public RedisRoundTrip(IConnectionMultiplexer redis, ExeSysMetrics metrics, IOptions<MetricsOptions> options, TimeProvider time, ILogger<RedisRoundTrip> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        (_redis, _options, _time, _logger) = (redis, options.Value, time, logger);
        metrics.Meter.CreateObservableGauge("exesys.redis.round_trip", Observe, "s", "The round trip of this process's last PING to Redis (read every ExeSys:Metrics:RefreshInterval).");
    }

    private IEnumerable<Measurement<double>> Observe() => _seconds is { } s ? [new Measurement<double>(s)] : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RefreshInterval, _time);
        do
        {
            try
            {
                _seconds = (await _redis.GetDatabase().PingAsync()).TotalSeconds;
            }
#pragma warning disable CA1031 // Redis away: the gauge goes silent until it answers again; the loop goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _seconds = null;
                _logger.LogDebug("PING for the round-trip gauge failed: {Error}", ex.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
