using Microsoft.Extensions.Logging;
using MongoDB.Driver;
using Polly;
using Polly.Retry;

namespace ExeSys.Core.Resilience;

/// <summary>
/// The retry policy of the controller's archiver while MongoDB is unreachable: exponential backoff with jitter, capped
/// at 5 s, until MongoDB returns or the process stops. Meanwhile ended jobs wait on the Redis archive backlog, with
/// their keys kept, and the controller's Redis work goes on in its own loop.
/// </summary>
public static class MongoBackoff
{
    public static bool IsTransient(Exception exception) =>
        exception is MongoConnectionException or MongoExecutionTimeoutException or TimeoutException or MongoNotPrimaryException or MongoNodeIsRecoveringException
            || (exception is MongoException mongo && mongo.HasErrorLabel("RetryableWriteError"));

    public static ResiliencePipeline Create(ILogger logger, string loop) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                if (args.AttemptNumber is 0 or 10 or 100 || args.AttemptNumber % 1000 == 0)
                {
                    logger.LogWarning("{Loop}: MongoDB is unreachable ({Error}); retry {Attempt} in {Delay}. Ended jobs wait on the Redis archive backlog.",
                        loop, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                }

                return ValueTask.CompletedTask;
            },
        })
        .Build();
}
