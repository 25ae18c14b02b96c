using ExeSys.Core.Redis;
using ExeSys.Core.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExeSys.Core.Hosting;

/// <summary>Whether this process publishes its limits to Redis (the controller) or only compares them with Redis's.</summary>
public sealed record LimitsRole(bool Publishes);

/// <summary>
/// At start, once Redis answers: the controller publishes its limits (ExeSys:Limits) for the claim to read; every other
/// process compares its own with what Redis holds, and warns when they differ, since the API routes jobs into lanes by
/// its own and the claim enforces Redis's. Runs beside the process's start, never holding it up.
/// </summary>
public sealed partial class LimitsCheck(RedisLimits limits, LimitsRole role, TimeProvider time, ILogger<LimitsCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync();
                return;
            }
            // A bare TaskCanceledException is the client giving up on a hung Redis too: retry, never stop the host.
            catch (Exception ex) when (RedisFaults.IsRedisFailure(ex) || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                LogNotYet(ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    private async Task CheckAsync()
    {
        var held = await limits.ReadAsync();
        var differences = limits.Differences(held);
        if (role.Publishes)
        {
            if (await limits.PublishAsync())
            {
                LogPublished(differences.Count == 0 ? "(none)" : string.Join("; ", differences));
            }

            return;
        }

        if (differences.Count > 0 && held.Count == 0)
        {
            // Usual at a first start: the controller has not published them yet.
            LogNotPublished(string.Join("; ", differences));
        }
        else if (differences.Count > 0)
        {
            LogDiffers(string.Join("; ", differences));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis holds no limits yet, while this process has some (ExeSys:Limits): {Differences}. A controller publishes them when it starts; until then claims enforce none.")]
    private partial void LogNotPublished(string differences);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the limits in Redis yet ({Error}); retrying every second.")]
    private partial void LogNotYet(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Published this controller's limits (ExeSys:Limits) to Redis, replacing different ones: {Differences}")]
    private partial void LogPublished(string differences);

    [LoggerMessage(Level = LogLevel.Error, Message = "This process's limits (ExeSys:Limits) differ from those in Redis, which the controller published and every claim enforces: {Differences}. Give every process the same ExeSys:Limits.")]
    private partial void LogDiffers(string differences);
}
