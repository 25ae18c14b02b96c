using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ExeSys.Core.Resilience;

/// <summary>
/// The shape every background loop's retry shares: exponential backoff with jitter from <paramref name="firstDelay"/>,
/// capped at 5 s, retrying transient failures until the service returns or the process stops, and logging the 1st,
/// 11th, 101st and every 1000th retry rather than each one.
/// </summary>
internal static class UntilBack
{
    /// <param name="unreachable">The warning's text after "{loop}: ", with {Error}, {Attempt} and {Delay} placeholders.</param>
    public static ResiliencePipeline Create(ILogger logger, string loop, Func<Exception, bool> isTransient, TimeSpan firstDelay, string unreachable) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(isTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstDelay,
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    if (args.AttemptNumber is 0 or 10 or 100 || args.AttemptNumber % 1000 == 0)
                    {
#pragma warning disable CA2254 // The template is one of the two constant texts of RedisBackoff and MongoBackoff.
                        logger.LogWarning("{Loop}: " + unreachable, loop, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
#pragma warning restore CA2254
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();
}
