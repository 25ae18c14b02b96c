namespace ExeSys.Core.Limits;

/// <summary>
/// A token bucket in this process's memory, lock-free, kept as GCRA (the generic cell rate algorithm): one
/// "theoretical arrival time" moved on by one emission interval per token with a compare-and-swap, and a take refused
/// when that would put it more than the burst ahead of now. A new bucket is full. Times are
/// <see cref="TimeProvider.GetTimestamp"/> ticks. Used where a lock per call would be contended: the API's per-key
/// request rate, and the trace sampler's cap on new traces.
/// </summary>
public sealed class LocalTokenBucket
{
    private readonly long _interval;
    private readonly long _burst;
    private long _arrival;

    /// <param name="interval">Ticks per token (the refill rate), at least 1.</param>
    /// <param name="burst">Ticks' worth of tokens the bucket holds: <paramref name="burst"/> / <paramref name="interval"/> tokens at once.</param>
    public LocalTokenBucket(long interval, long burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, interval);
        _interval = interval;
        _burst = burst;
    }

    /// <summary>Takes one token at <paramref name="now"/>; else <paramref name="waitTicks"/> says how long until one is free.</summary>
    public bool TryTake(long now, out long waitTicks)
    {
        while (true)
        {
            var arrival = Volatile.Read(ref _arrival);
            var next = Math.Max(arrival, now) + _interval;
            if (next - now > _burst)
            {
                waitTicks = next - now - _burst;
                return false;
            }

            if (Interlocked.CompareExchange(ref _arrival, next, arrival) == arrival)
            {
                waitTicks = 0;
                return true;
            }
        }
    }
}
