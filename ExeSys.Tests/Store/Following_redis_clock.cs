using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// <see cref="RedisTime"/>, every process's TimeProvider: a local clock a minute off reads as Redis's clock once
/// <see cref="RedisTimeSync"/> has measured it; before any measurement it is the local clock, and a measurement that
/// fails (Redis away) keeps the last offset. Timers and timestamps stay on the local clock.
/// </summary>
[TestFixture]
public sealed class Following_redis_clock
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(250);

    [Test]
    public async Task Should_read_redis_clock_on_a_machine_a_minute_behind_it()
    {
        var local = new FakeTimeProvider(await RedisNowAsync(TestRedis.Connection) - Skew);
        var time = new RedisTime(local);
        var sync = NewSync(TestRedis.Connection, time);

        Assert.That((time.GetUtcNow(), time.Synced), Is.EqualTo((local.GetUtcNow(), false)), "before a measurement: the local clock");
        await sync.SyncAsync(CancellationToken.None);
        var redisNow = await RedisNowAsync(TestRedis.Connection);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(time.Synced, Is.True);
            Assert.That(time.GetUtcNow(), Is.EqualTo(redisNow).Within(Tolerance), "after one: Redis's clock");
            Assert.That(time.Offset, Is.EqualTo(Skew).Within(Tolerance));
            Assert.That(time.GetTimestamp(), Is.EqualTo(local.GetTimestamp()), "timestamps (durations) stay local");
        }
    }

    [Test]
    public async Task Should_run_on_the_local_clock_while_redis_has_never_answered_and_keep_the_last_offset_when_it_goes_away()
    {
        await using var away = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { $"127.0.0.1:{FreePort.Next()}" },
            AbortOnConnectFail = false,
            ConnectTimeout = 200,
            AsyncTimeout = 200,
        });
        var local = new FakeTimeProvider(DateTimeOffset.UtcNow + Skew);
        var time = new RedisTime(local);

        await NewSync(away, time).SyncAsync(CancellationToken.None);
        Assert.That((time.Synced, time.GetUtcNow()), Is.EqualTo((false, local.GetUtcNow())), "Redis never answered: the local clock");

        await NewSync(TestRedis.Connection, time).SyncAsync(CancellationToken.None);
        var offset = time.Offset;
        await NewSync(away, time).SyncAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(offset, Is.EqualTo(-Skew).Within(Tolerance), "the machine is a minute ahead of Redis");
            Assert.That((time.Synced, time.Offset), Is.EqualTo((true, offset)), "Redis went away: the last offset stays");
        }
    }

    private static RedisTimeSync NewSync(IConnectionMultiplexer redis, RedisTime time) =>
        new(redis, new RedisKeys(TestRedis.NewPrefix("clock")), time, NullLogger<RedisTimeSync>.Instance);

    private static async Task<DateTimeOffset> RedisNowAsync(IConnectionMultiplexer redis) =>
        new(DateTime.SpecifyKind(await redis.GetServers()[0].TimeAsync(), DateTimeKind.Utc));
}
