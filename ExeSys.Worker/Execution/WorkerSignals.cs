using System.Collections.Concurrent;
using ExeSys.Core.Jobs;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Stop (runners) and cancel (cancelled workflow) signals for the jobs this worker runs. A signal can arrive after the
/// job became this worker's but before its token is registered; such early signals wait here (with when they came)
/// and are applied at registration.
/// </summary>
public sealed class WorkerSignals(TimeProvider time, ILogger<WorkerSignals> logger)
{
    private enum Kind
    {
        Stop,
        Cancel,
    }

    private static readonly TimeSpan EarlySignalsKeptFor = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<JobRef, CancellationTokenSource> _cancels = new();
    private readonly ConcurrentDictionary<JobRef, CancellationTokenSource> _stops = new();
    private readonly ConcurrentDictionary<(JobRef Job, Kind Kind), DateTimeOffset> _early = new();

    /// <summary>How many runners this worker holds (each has a stop token).</summary>
    public int RunnerCount => _stops.Count;

    /// <summary>The runners this worker holds.</summary>
    public IEnumerable<JobRef> Runners => _stops.Keys;

    public Task RegisterCancelAsync(JobRef job, CancellationTokenSource source) => RegisterAsync(_cancels, Kind.Cancel, job, source);

    public Task RegisterStopAsync(JobRef job, CancellationTokenSource source) => RegisterAsync(_stops, Kind.Stop, job, source);

    /// <summary>Drops an attempt's tokens, but not those of a later attempt of the same job that has registered since.</summary>
    public void Unregister(JobRef job, CancellationTokenSource cancel, CancellationTokenSource stop)
    {
        _cancels.TryRemove(new KeyValuePair<JobRef, CancellationTokenSource>(job, cancel));
        _stops.TryRemove(new KeyValuePair<JobRef, CancellationTokenSource>(job, stop));
    }

    public void Stop(JobRef job) => Signal(_stops, Kind.Stop, job, "a stop was requested");

    public void Cancel(JobRef job) => Signal(_cancels, Kind.Cancel, job, "its workflow was cancelled");

    private void Signal(ConcurrentDictionary<JobRef, CancellationTokenSource> tokens, Kind kind, JobRef job, string why)
    {
        if (tokens.TryGetValue(job, out var source))
        {
            logger.LogInformation("Signalling {Job}: {Why}.", job, why);
            source.Cancel();
            return;
        }

        var now = time.GetUtcNow();
        _early[(job, kind)] = now;
        foreach (var old in _early.Where(e => now - e.Value > EarlySignalsKeptFor).Select(e => e.Key).ToList())
        {
            _early.TryRemove(old, out _);
        }
    }

    private async Task RegisterAsync(ConcurrentDictionary<JobRef, CancellationTokenSource> tokens, Kind kind, JobRef job, CancellationTokenSource source)
    {
        tokens[job] = source;
        if (_early.TryRemove((job, kind), out _))
        {
            await source.CancelAsync();
        }
    }
}
