using Microsoft.Extensions.Logging;
using Polly;

namespace ExeSys.Core.Resilience;

/// <summary>
/// The retry policy of background loops (worker claims, controller ticks, heartbeats) when Redis is unreachable:
/// exponential backoff with jitter, capped, retrying until Redis returns or the process stops.
/// </summary>
public static class RedisBackoff
{
    public static ResiliencePipeline Create(ILogger logger, string loop) =>
        UntilBack.Create(logger, loop, RedisFaults.IsTransient, TimeSpan.FromMilliseconds(100), "Redis is unreachable ({Error}); retry {Attempt} in {Delay}.");
}
