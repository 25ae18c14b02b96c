using System.Diagnostics.Metrics;
using ExeSys.Core.History;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;

namespace ExeSys.Controller.Observability;

/// <summary>
/// The gauges of the whole deployment, from the controller only (one place, so Prometheus does not add up copies):
/// each queue's depth, in-flight and scheduled jobs, live workers and oldest wait, and the archive backlog. They are
/// read every <see cref="MetricsOptions.RefreshInterval"/> (GET /queues' read, bounded by the lanes, never by the
/// jobs, plus one ZCARD per backlog), only while metrics are exported; a collection reads the last snapshot.
/// </summary>
public sealed class QueueGauges : BackgroundService
{
    private readonly IQueueAdmin _queues;
    private readonly IArchiveSource _backlog;
    private readonly ExeSysMetrics _metrics;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueGauges> _logger;
    private volatile Snapshot? _last;

    public QueueGauges(IQueueAdmin queues, IArchiveSource backlog, ExeSysMetrics metrics, IOptions<MetricsOptions> options, TimeProvider time, ILogger<QueueGauges> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        (_queues, _backlog, _metrics, _options, _time, _logger) = (queues, backlog, metrics, options.Value, time, logger);
        var meter = metrics.Meter;
        meter.CreateObservableGauge("exesys.queue.depth", () => PerQueue(q => q.Ready), "{job}", "Jobs waiting to start in the queue.");
        meter.CreateObservableGauge("exesys.queue.inflight", () => PerQueue(q => q.Inflight), "{job}", "Jobs leased to a worker (running, or started and not yet acknowledged).");
        meter.CreateObservableGauge("exesys.queue.scheduled", () => PerQueue(q => q.Scheduled), "{job}", "Jobs waiting for a retry, a deferral or their run_at.");
        meter.CreateObservableGauge("exesys.queue.workers", () => PerQueue(q => q.Workers.Count), "{worker}", "Live workers that serve the queue.");
        meter.CreateObservableGauge("exesys.queue.oldest_wait", () => PerQueue(q => (q.OldestWaitingMs ?? 0) / 1000.0), "s", "How long the queue's oldest waiting job has waited (0 when none waits).");
        meter.CreateObservableGauge("exesys.archive.backlog", () => _last is { Backlog: { } b } ? [new Measurement<long>(b)] : Array.Empty<Measurement<long>>(), "{job}", "Ended jobs waiting in Redis to be archived into MongoDB.");
    }

    private sealed record Snapshot(IReadOnlyList<QueueState> Queues, long? Backlog);

    private IEnumerable<Measurement<T>> PerQueue<T>(Func<QueueState, T> value)
        where T : struct =>
        _last is { } last ? last.Queues.Select(q => new Measurement<T>(value(q), new KeyValuePair<string, object?>("queue", _metrics.Queues.Of(q.Name)))) : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RefreshInterval, _time);
        try
        {
            do
            {
                try
                {
                    _last = new Snapshot(await _queues.ListAsync(), await _backlog.CountAsync());
                }
#pragma warning disable CA1031 // Redis away: the gauges keep their last values; the loop goes on.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _logger.LogDebug("Reading the queue gauges failed: {Error}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
