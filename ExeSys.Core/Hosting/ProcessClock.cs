using ExeSys.Core.Redis;

namespace ExeSys.Core.Hosting;

/// <summary>The process clock as the worker and the controller see it, without naming a Redis class.</summary>
public static class ProcessClock
{
    /// <summary>
    /// Waits until <paramref name="time"/> follows Redis's clock (at once for a clock that is not a <see cref="RedisTime"/>,
    /// as a test may give). A worker or a controller that took a job before its first reading would write its own
    /// clock's times (a start, a retry's due time) beside Redis's: seen under load, when the first reading at start
    /// failed because the connection was still coming up, and a worker 60 s ahead scheduled a retry 60 s late.
    /// </summary>
    public static Task WaitForRedisClockAsync(this TimeProvider time, CancellationToken cancellationToken) =>
        time is RedisTime redisTime ? redisTime.FirstReading.WaitAsync(cancellationToken) : Task.CompletedTask;
}
