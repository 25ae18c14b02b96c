using Microsoft.Extensions.Logging;
using MongoDB.Driver;
using Polly;

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

    public static ResiliencePipeline Create(ILogger logger, string loop) =>
        UntilBack.Create(logger, loop, IsTransient, TimeSpan.FromMilliseconds(200),
            "MongoDB is unreachable ({Error}); retry {Attempt} in {Delay}. Ended jobs wait on the Redis archive backlog.");
}
