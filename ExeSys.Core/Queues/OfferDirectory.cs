using ExeSys.Core.Redis;
using ExeSys.Core.Registry;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Queues;

/// <summary>
/// A cached view of the registry's workers, for routing: which offer signatures offer a function in a queue (the idle
/// sets an enqueue may hand a job to), which functions are offered at all, and which queues live workers serve.
/// Refreshed when older than a second, or at once (at most every 200 ms) when asked about a function nothing offers.
/// A signature is a content hash, so signature → functions never goes stale: a stale view only misses a handoff (the
/// job goes onto its lane and wakes the claimers), it never hands a job to a worker without its function.
/// </summary>
public sealed class OfferDirectory(IProcessRegistry registry, RedisKeys keys, TimeProvider time, ILogger<OfferDirectory> logger) : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinRefreshGap = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile View _view = View.Empty;

    /// <summary>The idle sets of <paramref name="queue"/> whose workers offer <paramref name="function"/>.</summary>
    public async ValueTask<RedisKey[]> IdleSetsAsync(string queue, string function)
    {
        var view = await CurrentAsync(v => v.Offered.Contains((queue, function)));
        return view.IdleSets.TryGetValue((queue, function), out var sets) ? sets : [];
    }

    /// <summary>The live workers (a fresh read): for <c>GET /queues</c> and the controller's unserved check.</summary>
    public async Task<IReadOnlyList<ProcessAdvert>> WorkersAsync() => (await RefreshAsync(_view, force: true)).Workers;

    private async ValueTask<View> CurrentAsync(Func<View, bool> found)
    {
        var view = _view;
        var age = time.GetUtcNow() - view.Taken;
        if (age > Ttl || (!found(view) && age > MinRefreshGap))
        {
            try
            {
                view = await RefreshAsync(view, force: false);
            }
            catch (Exception ex) when (Resilience.RedisFaults.IsRedisFailure(ex))
            {
                // Routing works on the last view: a missed handoff costs a claim round trip, nothing more.
                logger.LogDebug("Could not refresh the worker offers ({Error}); using the last view.", ex.Message);
            }
        }

        return view;
    }

    private async Task<View> RefreshAsync(View seen, bool force)
    {
        await _gate.WaitAsync();
        try
        {
            if (!force && !ReferenceEquals(seen, _view))
            {
                return _view;
            }

            var workers = await registry.GetLiveAsync(ProcessRole.Worker);
            var idle = new Dictionary<(string, string), RedisKey[]>();
            var offered = new HashSet<(string, string)>();
            foreach (var group in workers.Where(w => w.Signature is not null)
                .SelectMany(w => (w.Queues ?? [QueueKeys.DefaultName]).SelectMany(q => w.Functions.Select(f => (Queue: q, Function: f, Sig: w.Signature!))))
                .GroupBy(x => (x.Queue, x.Function)))
            {
                offered.Add(group.Key);
                idle[group.Key] = [.. group.Select(x => x.Sig).Distinct(StringComparer.Ordinal).Select(sig => keys.Queue(group.Key.Queue).Idle(sig))];
            }

            var view = new View(workers, idle, offered, time.GetUtcNow());
            _view = view;
            return view;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private sealed record View(
        IReadOnlyList<ProcessAdvert> Workers, Dictionary<(string, string), RedisKey[]> IdleSets, HashSet<(string, string)> Offered, DateTimeOffset Taken)
    {
        public static readonly View Empty = new([], [], [], DateTimeOffset.MinValue);
    }
}
