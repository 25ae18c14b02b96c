using ExeSys.Core.Jobs;

namespace ExeSys.Worker.Execution;

/// <summary>
/// One attempt this worker runs: its claim, and its lease as this worker knows it. The worker's own deadline for the
/// lease is when it sent the last renewal that succeeded (at first, the claim) plus the lease's length, on the
/// monotonic clock: <see cref="Lost"/> is cancelled then, unless a renewal moved it. So a worker cut off from Redis
/// (Redis frozen, a network cut) stops the function before the controller, once Redis answers again, gives the job to
/// another worker; and a worker that learns from a renewal that Redis took the lease back stops it at once.
/// </summary>
public sealed class RunningJob : IDisposable
{
    private const int Running = 0;
    private const int Ended = 1;
    private const int LostLease = 2;

    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private long _leasedAt;
    private int _state;

    /// <param name="leasedAt">When the claim that leased it was sent (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public RunningJob(ClaimedJob claim, TimeSpan lease, long leasedAt, TimeProvider time)
    {
        Claim = claim;
        _lease = lease;
        _time = time;
        _leasedAt = leasedAt;
        var left = lease - time.GetElapsedTime(leasedAt);
        Lost = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
    }

    public ClaimedJob Claim { get; }

    public JobRef Job => Claim.Job;

    /// <summary>Cancelled when the lease is lost: the worker's deadline passed, or a renewal found the lease gone.</summary>
    public CancellationTokenSource Lost { get; }

    /// <summary>Why the lease was lost, once it is: null while it holds, or when the worker's own deadline passed.</summary>
    public string? LostBecause { get; private set; }

    /// <summary>A renewal sent at <paramref name="sentAt"/> succeeded: the lease now lasts until then plus its length.</summary>
    public void Renewed(long sentAt)
    {
        var left = _lease - _time.GetElapsedTime(sentAt);
        if (left <= TimeSpan.Zero)
        {
            MarkLost("its renewal came back after the lease had run out");
            return;
        }

        Interlocked.Exchange(ref _leasedAt, sentAt);
        try
        {
            Lost.CancelAfter(left);
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended meanwhile.
        }
    }

    /// <summary>
    /// True when the lease is lost, or its deadline has passed though its timer has not fired yet (a worker waking
    /// from a freeze runs whatever is due in any order): then it is marked lost now.
    /// </summary>
    public bool CheckLost()
    {
        if (!Lost.IsCancellationRequested && _time.GetElapsedTime(Interlocked.Read(ref _leasedAt)) >= _lease)
        {
            MarkLost($"no renewal succeeded for {_lease}");
        }

        return Lost.IsCancellationRequested;
    }

    /// <summary>The lease is lost: the function's token is cancelled at once.</summary>
    public void MarkLost(string because)
    {
        LostBecause ??= because;
        try
        {
            Lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended meanwhile.
        }
    }

    /// <summary>True once, for the first caller, when the lease is lost while the attempt still runs.</summary>
    internal bool TryMarkLost() => Interlocked.CompareExchange(ref _state, LostLease, Running) == Running;

    /// <summary>The attempt is over (its function returned and what was due is recorded or handed back).</summary>
    internal void End() => Interlocked.CompareExchange(ref _state, Ended, Running);

    public void Dispose() => Lost.Dispose();
}
