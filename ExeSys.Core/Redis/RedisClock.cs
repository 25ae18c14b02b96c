namespace ExeSys.Core.Redis;

/// <summary>
/// The time this process gives the job scripts (their <c>now_ms</c> arguments, and the times it writes): the
/// <see cref="TimeProvider"/> in Unix ms, so tests can choose it. Leases, handoff waits and due retries are measured on
/// Redis's own clock instead (<c>now_ms()</c> in Scripts/_common.lua), the one clock every machine shares.
/// </summary>
public sealed class RedisClock(TimeProvider time)
{
    public DateTimeOffset Now => time.GetUtcNow();

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();
}
