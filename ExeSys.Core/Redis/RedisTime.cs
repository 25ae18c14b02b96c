using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExeSys.Core.Redis;

/// <summary>
/// The processes' <see cref="TimeProvider"/>: this machine's clock moved onto Redis's. Every time one process writes and
/// another, or a script's <c>now_ms()</c>, compares (queue scores, retry and defer due times, event post and since
/// times, created/updated times) comes from <see cref="GetUtcNow"/>, so a machine whose clock is off cannot invert
/// priorities, fire retries early or late, or make <c>wait_event</c> miss an event. It costs no Redis command per call:
/// <see cref="RedisTimeSync"/> measures the offset off the hot path and <see cref="GetUtcNow"/> adds it to the local
/// clock. Timers, delays and timestamps (durations) stay on the local, monotonic clock.
/// <para>
/// Before the first measurement the offset is zero, so a process that starts while Redis is away runs on its own clock
/// (and says so in its log) until Redis answers; while Redis is away later, the last offset stays, since a machine's
/// clock drifts by milliseconds a day, not seconds.
/// </para>
/// </summary>
public sealed class RedisTime(TimeProvider local) : TimeProvider
{
    /// <summary>
    /// The key of the local clock this one wraps (<see cref="TimeProvider.System"/> unless a host registers another
    /// under this key, as a test does to run a process off the true time).
    /// </summary>
    public const string LocalClockKey = "ExeSys.LocalClock";

    private readonly TaskCompletionSource _firstReading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _offsetTicks;
    private int _synced;

    /// <summary>The local clock, for measuring round trips.</summary>
    internal TimeProvider Local => local;

    /// <summary>How far Redis's clock is ahead of this machine's (negative: behind), as last measured.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));

    /// <summary>Whether the offset has been measured at least once.</summary>
    public bool Synced => Volatile.Read(ref _synced) == 1;

    /// <summary>Completes at the first measurement: a worker and a controller wait for it before they touch a job.</summary>
    public Task FirstReading => _firstReading.Task;

    public override DateTimeOffset GetUtcNow() => local.GetUtcNow().AddTicks(Volatile.Read(ref _offsetTicks));

    public override long GetTimestamp() => local.GetTimestamp();

    public override long TimestampFrequency => local.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => local.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        local.CreateTimer(callback, state, dueTime, period);

    /// <summary>Follows Redis's clock from now on: <paramref name="offset"/> is Redis's time minus the local time.</summary>
    internal void Follow(TimeSpan offset)
    {
        Volatile.Write(ref _offsetTicks, offset.Ticks);
        Volatile.Write(ref _synced, 1);
        _firstReading.TrySetResult();
    }
}

public static class RedisTimeExtensions
{

    /// <summary>
    /// <see cref="RedisTime"/> as the process's <see cref="TimeProvider"/>, over the local clock registered under
    /// <see cref="RedisTime.LocalClockKey"/> (the system clock unless the host gave one), kept in step by
    /// <see cref="RedisTimeSync"/>.
    /// </summary>
    public static IServiceCollection AddRedisTime(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton(RedisTime.LocalClockKey, TimeProvider.System);
        services.AddSingleton(sp => new RedisTime(sp.GetRequiredKeyedService<TimeProvider>(RedisTime.LocalClockKey)));
        services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<RedisTime>());
        services.AddHostedService<RedisTimeSync>();
        return services;
    }
}
