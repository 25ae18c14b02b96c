using System.Threading.Channels;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;
using Polly;

namespace ExeSys.Worker.Execution;

/// <summary>
/// How jobs reach this worker, in three ways: it claims them while it has free places; an enqueue hands a job
/// straight to it while it waits idle (<see cref="WorkerNotification.HandedOff"/>); or a submit starts a job for it
/// (<see cref="WorkerNotification.Started"/>). An idle worker sleeps until a notification or
/// <see cref="WorkerOptions.IdlePoll"/>; it never blocks the shared connection.
/// <para>
/// Every way is routed: a claim names the functions this worker offers (<see cref="WorkerOffer"/>, from its catalog)
/// and takes only from their lanes, and it waits for handoffs in the idle set of its offer signature, which an
/// enqueue uses only for jobs of those functions. A worker serving several queues
/// (<see cref="WorkerOptions.Queues"/>) claims from them in their order.
/// </para>
/// </summary>
public sealed class ClaimLoop
{
    private readonly IWorkerConnection _store;
    private readonly FunctionCatalog _catalog;
    private readonly RunningJobs _running;
    private readonly WorkerIdentity _worker;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClaimLoop> _logger;
    private readonly ResiliencePipeline _backoff;
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>1 when the queue may hold jobs for this worker: at start, after a wake-up, after a full batch or a failed claim.</summary>
    private int _queueMayHoldJobs = 1;

    /// <summary>Set once shutdown begins: no handoff is taken any more.</summary>
    private volatile bool _stopping;

    /// <summary>When a limited lane that this worker's claim parked at its limit may start again (ClaimBatch.LanesParkedUntil).</summary>
    private DateTimeOffset? _lanesParkedUntil;

    /// <summary>What this worker offers now; replaced when its modules change.</summary>
    private volatile WorkerOffer _offer;

    public ClaimLoop(IWorkerConnection store, FunctionCatalog catalog, RunningJobs running, WorkerIdentity worker, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ClaimLoop> logger)
    {
        _store = store;
        _catalog = catalog;
        _offer = new WorkerOffer(options.Value.ServedQueues, catalog.Names);
        catalog.Changed += OnCatalogChanged;
        _running = running;
        _worker = worker;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _backoff = RedisBackoff.Create(logger, "worker");
        _running.SlotFreed += OnSlotFreed;
    }

    /// <summary>How long an idle worker's wait for a handoff counts; its empty claims (every IdlePoll) renew it.</summary>
    private TimeSpan HandoffWait => _options.IdlePoll * 3;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = _running.Free;
            if (free <= 0)
            {
                await _wake.Reader.ReadAsync(stoppingToken);
                continue;
            }

            // The queue was drained by the last claim and no wake-up came since: wait for one (or the idle poll).
            if (Interlocked.Exchange(ref _queueMayHoldJobs, 0) == 0)
            {
                await WaitForWakeAsync(stoppingToken);
                continue;
            }

            // A worker that runs nothing and empties a queue waits for a handoff of its next job there.
            var offer = _offer;
            List<string>? waiting = null;
            var launched = 0;
            foreach (var queue in offer.Queues)
            {
                if (free - launched <= 0)
                {
                    break;
                }

                var wait = _running.Count == 0 && launched == 0 ? HandoffWait : TimeSpan.Zero;
                var batch = await ClaimAsync(offer, queue, Math.Min(free - launched, _options.ClaimBatch), wait, stoppingToken);
                if (batch is null)
                {
                    break;
                }

                // A full batch may have left more behind; fewer than asked means the queue has no more for this
                // worker now, and the next enqueue will announce itself.
                if (!batch.Value.Batch.QueueDrained)
                {
                    Volatile.Write(ref _queueMayHoldJobs, 1);
                }

                if (batch.Value.Batch.LanesParkedUntil is { } until && (_lanesParkedUntil is not { } earlier || until < earlier))
                {
                    _lanesParkedUntil = until;
                }

                if (wait > TimeSpan.Zero && batch.Value.Batch.Jobs.Count == 0)
                {
                    (waiting ??= []).Add(queue);
                }

                foreach (var job in batch.Value.Batch.Jobs)
                {
                    await _running.LaunchAsync(job, batch.Value.LeasedAt);
                }

                launched += batch.Value.Batch.Jobs.Count;
            }

            if (launched > 0 && waiting is not null)
            {
                // Busy now: the queues it found empty before must not hand it a job.
                foreach (var queue in waiting)
                {
                    _ = StopWaiting(offer, queue);
                }
            }
        }
    }

    /// <summary>One claim from one queue, retried while Redis is away; null when it failed (logged, and the loop polls again).</summary>
    private async Task<(ClaimBatch Batch, long LeasedAt)?> ClaimAsync(WorkerOffer offer, string queue, int max, TimeSpan wait, CancellationToken stoppingToken)
    {
        try
        {
            long leasedAt = 0;
            var batch = await _backoff.ExecuteAsync(
                async _ =>
                {
                    // The leases start in Redis after this: the worker's own deadline for them is never later.
                    leasedAt = _time.GetTimestamp();
                    return await _store.ClaimAsync(_worker.Id, offer, queue, max, wait);
                },
                stoppingToken);
            return (batch, leasedAt);
        }
#pragma warning disable CA1031 // One failed claim must not end the loop; it is logged and retried.
        // StackExchange.Redis can also fail a pending command with TaskCanceledException when Redis hangs; only
        // the worker's own stopping token may end the loop.
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "Claiming jobs failed; retrying.");
            Volatile.Write(ref _queueMayHoldJobs, 1);
            await Task.Delay(_options.IdlePoll, _time, stoppingToken);
            return null;
        }
    }

    /// <summary>
    /// The modules changed: claims name the new function list from now on, and the worker leaves the idle sets of its
    /// old signature, so no handoff of a function it no longer offers reaches it (the heartbeat advertises the new one at once).
    /// </summary>
    private void OnCatalogChanged()
    {
        var old = _offer;
        var offer = new WorkerOffer(_options.ServedQueues, _catalog.Names);
        _offer = offer;
        if (old.Signature != offer.Signature)
        {
            StopWaiting(old);
            QueueFilled();
        }
    }

    /// <summary>Ends this worker's waits for handoffs in every queue it serves (best effort: a wait lapses by itself).</summary>
    private Task StopWaiting(WorkerOffer offer) => Task.WhenAll(offer.Queues.Select(queue => StopWaiting(offer, queue)));

    /// <summary>Ends this worker's wait for handoffs in one queue (best effort: a wait lapses by itself).</summary>
    private Task StopWaiting(WorkerOffer offer, string queue) =>
        BestEffort.RunAsync(_logger, _worker, () => _store.WaitForHandoffAsync(_worker.Id, queue, offer.Signature, TimeSpan.Zero), "stop waiting for handoffs");

    /// <summary>The pub/sub connection dropped: handoffs cannot reach this worker, so it stops waiting for them.</summary>
    public void ConnectionLost() => _ = StopWaiting(_offer);

    /// <summary>Shutdown begins: no handoff or started job is taken any more, and the wait for handoffs ends.</summary>
    public Task StopAsync()
    {
        _stopping = true;
        return StopWaiting(_offer);
    }

    /// <summary>
    /// The queue went from empty to non-empty, so the next free place should claim. Without this, a claim loop that
    /// last found the queue drained does not ask again when a place frees: that saves an empty claim (a round trip
    /// and two Redis commands) per job at low load.
    /// </summary>
    public void QueueFilled(string? function = null)
    {
        if (function is not null && !_offer.Functions.Contains(function, StringComparer.Ordinal))
        {
            // A lane of a function this worker does not offer: its claim would find nothing there.
            return;
        }

        Volatile.Write(ref _queueMayHoldJobs, 1);
        Wake();
    }

    /// <summary>The queue leased a job to this idle worker: start it as a claim would.</summary>
    public async Task StartHandedOffAsync(JobRef job, string queue)
    {
        if (_stopping)
        {
            _logger.LogInformation("Not starting {Job}, handed over during shutdown; its lease will expire and the controller will requeue it.", job);
            return;
        }

        try
        {
            // The queue leased it just before announcing it: the worker's own deadline starts on receipt.
            var leasedAt = _time.GetTimestamp();
            foreach (var claimed in await _store.StartHandedOffAsync(_worker.Id, queue, job))
            {
                if (!GiveBackIfFull(claimed))
                {
                    await _running.LaunchAsync(claimed, leasedAt);
                }
            }
        }
#pragma warning disable CA1031 // A failed handoff must not crash the worker; the job's lease brings it back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "Starting {Job}, handed over by the queue, failed; its lease will expire and the controller will requeue it.", job);
        }
    }

    /// <summary>A submit already started this job for this worker (state 2, attempt 1, leased to it): it runs at once, with no round trip before the function.</summary>
    public void RunStarted(ClaimedJob job)
    {
        if (_stopping)
        {
            // Shutting down: give it straight back rather than leave it to its lease.
            _ = BestEffort.RunAsync(_logger, _worker, () => _store.ReleaseAsync([job]), $"give back {job.Job}, started during shutdown");
            return;
        }

        if (GiveBackIfFull(job))
        {
            return;
        }

        // The submit leased it just before announcing it: the worker's own deadline starts on receipt.
        _ = _running.LaunchAsync(job, _time.GetTimestamp(), inline: true);
    }

    /// <summary>
    /// A handoff or a direct start reaches a worker only while it is listed idle, and it is listed only while it runs
    /// nothing. A listing can still be stale: an empty claim that re-registered this worker ran in Redis just after a
    /// handoff had taken it off the list, before the handoff's message got here. A job handed to it then, with every
    /// place taken, goes back unrun (its attempt given back, onto its lane for the next free worker), and the stale
    /// listing ends, so the worker never runs more than ExeSys:Worker:Concurrency jobs at once.
    /// </summary>
    private bool GiveBackIfFull(ClaimedJob job)
    {
        if (_running.Free > 0)
        {
            return false;
        }

        _logger.LogInformation("Giving back {Job}: it was handed to this worker while all its {Concurrency} places were taken (a stale idle listing, now ended).", job.Job, _options.Concurrency);
        _ = StopWaiting(_offer, job.Queue);
        _ = BestEffort.RunAsync(_logger, _worker, () => _store.ReturnUnrunAsync(job), $"give back {job.Job}, handed over while full");
        return true;
    }

    private void OnSlotFreed(bool idle)
    {
        if (idle && Volatile.Read(ref _queueMayHoldJobs) == 0 && !_stopping)
        {
            // Idle again with the queue drained: the next job may come straight here (queue_enqueue.lua).
            var offer = _offer;
            foreach (var queue in offer.Queues)
            {
                _ = BestEffort.RunAsync(_logger, _worker, () => _store.WaitForHandoffAsync(_worker.Id, queue, offer.Signature, HandoffWait), "wait for a handoff");
            }
        }

        Wake();
    }

    /// <summary>Wakes the loop: a place came free, or (<see cref="QueueFilled"/>) the queue may hold jobs.</summary>
    private void Wake() => _wake.Writer.TryWrite(0);

    /// <summary>Waits for a wake-up; after <see cref="WorkerOptions.IdlePoll"/> without one, claims anyway (a lost notification must not strand jobs).</summary>
    private async Task WaitForWakeAsync(CancellationToken stoppingToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var wait = _options.IdlePoll;
        if (_lanesParkedUntil is { } until)
        {
            // A limited lane parked at a limit (a rate window, slots) may start again then: claim at that moment, not a
            // poll later.
            var due = until - _time.GetUtcNow();
            wait = due < wait ? (due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(1)) : wait;
        }

        idle.CancelAfter(wait);
        try
        {
            await _wake.Reader.ReadAsync(idle.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            if (_lanesParkedUntil <= _time.GetUtcNow())
            {
                _lanesParkedUntil = null;
            }

            Volatile.Write(ref _queueMayHoldJobs, 1);
        }
    }
}
