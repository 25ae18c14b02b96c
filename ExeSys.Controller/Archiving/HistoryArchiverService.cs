using ExeSys.Core.History;
using Microsoft.Extensions.Options;

namespace ExeSys.Controller.Archiving;

/// <summary>
/// The archiver's own timer loop, apart from the controller's tick, so a MongoDB outage (during which a pass waits
/// and retries) never delays lease recovery or retries. With MongoDB not configured it does nothing.
/// </summary>
public sealed class HistoryArchiverService(HistoryArchiver archiver, IOptions<MongoOptions> options, TimeProvider time, ILogger<HistoryArchiverService> logger) : BackgroundService
{
    private readonly MongoOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        logger.LogInformation("Archiving finished jobs into MongoDB database {Database}, every {Interval} when idle.", _options.Database, _options.ArchiveInterval);
        using var timer = new PeriodicTimer(_options.ArchiveInterval, time);
        try
        {
            do
            {
                try
                {
                    // Drain: repeat while batches come back full.
                    while (await archiver.RunOnceAsync(stoppingToken) == _options.ArchiveBatch && !stoppingToken.IsCancellationRequested)
                    {
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // One failed pass (Redis away, a bad entry) must never stop the loop; its entries stay on the backlog.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    logger.LogWarning("Archive pass failed: {Error}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
