using ExeSys.Controller.Hosting;
using ExeSys.Core.Hosting;
using ExeSys.Core.Schedules;
using Microsoft.Extensions.Options;

namespace ExeSys.Controller.Schedules;

/// <summary>
/// The controller's schedule loop, on the controller's tick (ExeSys:Controller:TickInterval), beside the lease and
/// retry loop so that neither waits for the other: each tick fires the due schedules (<see cref="ScheduleFiring"/>). A
/// failed tick is logged and the next one runs as usual; several controllers may run it at once.
/// </summary>
public sealed class ScheduleService(ScheduleFiring firing, IOptions<ControllerOptions> options, TimeProvider time, ILogger<ScheduleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = options.Value.TickInterval;
        try
        {
            // Fire times compare with Redis's clock.
            await time.WaitForRedisClockAsync(stoppingToken);
            using var timer = new PeriodicTimer(tick, time);
            do
            {
                try
                {
                    await firing.RunOnceAsync(recheck: tick);
                }
#pragma warning disable CA1031 // One failed tick (Redis away, a bad entry) must never stop the loop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    logger.LogWarning("Schedule tick failed: {Error}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
