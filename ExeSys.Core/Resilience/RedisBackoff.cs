using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ExeSys.Core.Resilience;

/// <summary>
/// The retry policy of background loops (worker claims, controller ticks, heartbeats) when Redis is unreachable:
/// exponential backoff with jitter, capped, retrying until Redis returns or the process stops.
/// </summary>
public static class RedisBackoff
{
    public static ResiliencePipeline Create(ILogger logger, string loop) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(RedisFaults.IsTransient),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                if (args.AttemptNumber is 0 or 10 or 100 || args.AttemptNumber % 1000 == 0)
                {
                    logger.LogWarning("{Loop}: Redis is unreachable ({Error}); retry {Attempt} in {Delay}.", loop, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                }

                return ValueTask.CompletedTask;
            },
        })
        .Build();
}
