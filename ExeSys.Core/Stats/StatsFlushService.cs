using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Stats;

/// <summary>
/// A worker's flush of its run statistics: every <see cref="StatsOptions.FlushInterval"/>, what <see cref="RunStatsRecorder"/>
/// counted goes to the store in one call (none when nothing ran), and once more at shutdown. A failed flush keeps its
/// counts for the next one; the loop survives any single failure.
/// </summary>
public sealed class StatsFlushService(RunStatsRecorder recorder, IRunStatsStore store, IOptions<StatsOptions> options, TimeProvider time, ILogger<StatsFlushService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync();
    }

    /// <summary>Writes what was counted since the last flush; on failure puts it back for the next.</summary>
    public async Task FlushAsync()
    {
        var fields = recorder.Drain();
        if (fields.Count == 0)
        {
            return;
        }

        try
        {
            await store.AddAsync(fields);
        }
#pragma warning disable CA1031 // A flush that fails (Redis away or full) must not end the loop: the counts wait for the next.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            recorder.Restore(fields);
            logger.LogWarning("Could not flush the run statistics, keeping them for the next flush: {Error}", ex.Message);
        }
    }
}
