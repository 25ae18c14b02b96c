namespace ExeSys.Core.Redis;

/// <summary>
/// The time this process gives the job scripts (their <c>now_ms</c> arguments, and the times it writes) in Unix ms.
/// In a process that time is <see cref="RedisTime"/>, this machine's clock moved onto Redis's, so what one process
/// writes compares rightly with what another writes and with <c>now_ms()</c> in Scripts/_common.lua (leases, handoff
/// waits, due retries); a test of the store alone may give it any <see cref="TimeProvider"/>.
/// </summary>
public sealed class RedisClock(TimeProvider time)
{
    public DateTimeOffset Now => time.GetUtcNow();

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();
}
