using ExeSys.Controller.Hosting;
using ExeSys.Core.Hosting;
using ExeSys.Core.Registry;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;

namespace ExeSys.Controller.Ticking;

/// <summary>
/// The controller's timer loop. Each tick does the time-based work: it takes back jobs whose lease expired (their
/// worker died or froze), moves retries, deferred jobs (wait_delay) and delayed jobs (run_at, delay) whose time has come back to the queue, and
/// advertises the controller. Workflow steps are not waited on here: the script that records a step's result
/// promotes its successors in the same atomic step, so a chain never waits for a tick. A failed tick is logged and the next one runs as usual.
/// Several controllers may run at once: every step is an atomic, idempotent script, so they never conflict.
/// </summary>
public sealed partial class ControllerService(
    IStoreMaintenance store,
    IProcessRegistry registry,
    IOptions<ControllerOptions> options,
    TimeProvider time,
    ILogger<ControllerService> logger) : BackgroundService
{
    private readonly ControllerOptions _options = options.Value;
    private readonly string _id = $"{Environment.MachineName}-{Environment.ProcessId}";
    private readonly DateTimeOffset _started = time.GetUtcNow();

    /// <summary>Ticks completed since start; tests and health read it.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    private long _ticks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_id, _options.TickInterval);
        try
        {
            // The times this controller writes (queue scores of the jobs it gives back) are on Redis's clock.
            await time.WaitForRedisClockAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.TickInterval, time);
        try
        {
            do
            {
                try
                {
                    await TickAsync();
                }
#pragma warning disable CA1031 // One failed tick (Redis away, a bad entry) must never stop the loop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    logger.LogWarning("Controller tick failed: {Error}", ex.Message);
                }

                Interlocked.Increment(ref _ticks);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        try
        {
            await registry.LeaveAsync(ProcessRole.Controller, _id);
        }
#pragma warning disable CA1031 // Leaving is best effort; the heartbeat expires anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogDebug("Could not leave the registry: {Error}", ex.Message);
        }

        LogStopped(_id);
    }

    internal async Task TickAsync()
    {
        var advert = new ProcessAdvert(_id, "controller", Environment.MachineName, Environment.ProcessId, _started, [], 0, 0);
        await registry.HeartbeatAsync(advert, _options.TickInterval * 3 + TimeSpan.FromSeconds(2));

        // Each loop handles a bounded batch per call, and repeats only while batches come back full.
        int handled;
        do
        {
            handled = await store.RecoverExpiredLeasesAsync(_options.RecoveryBatch);
        }
        while (handled == _options.RecoveryBatch);

        do
        {
            handled = await store.PromoteDueRetriesAsync(_options.RecoveryBatch);
        }
        while (handled == _options.RecoveryBatch);

        // Jobs for functions no live worker offers wait; only their configured timeout ends the wait.
        await store.FailUnservedAsync(_options.RecoveryBatch);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller {Controller} started, ticking every {Interval}.")]
    private partial void LogStarted(string controller, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller {Controller} stopped.")]
    private partial void LogStopped(string controller);
}
