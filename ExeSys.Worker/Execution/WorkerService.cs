using System.Collections.Concurrent;
using System.Threading.Channels;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Core.Registry;
using ExeSys.Core.Resilience;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;
using Polly;
using StackExchange.Redis;

namespace ExeSys.Worker.Execution;

/// <summary>
/// The worker's main loop: claim jobs while it has free slots, run them concurrently, renew their leases,
/// advertise its functions, and on shutdown let running jobs finish within the grace period, then give the rest back.
/// Idle workers sleep until a wake-up message (pub/sub) or <see cref="WorkerOptions.IdlePoll"/>; they never block the
/// shared multiplexer.
/// </summary>
public sealed partial class WorkerService(
    IJobStore store,
    JobExecutor executor,
    FunctionCatalog catalog,
    ProcessRegistry registry,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptions<WorkerOptions> workerOptions,
    IOptions<JobOptions> jobOptions,
    TimeProvider time,
    ILogger<WorkerService> logger) : BackgroundService
{
    private readonly WorkerOptions _options = workerOptions.Value;
    private readonly ConcurrentDictionary<JobRef, ClaimedJob> _running = new();
    private readonly ConcurrentDictionary<JobRef, CancellationTokenSource> _cancels = new();
    private readonly ConcurrentDictionary<JobRef, CancellationTokenSource> _stops = new();

    // A stop or cancel can be announced after job_start made the job ours but before its token is registered; such
    // early signals wait here (with when they came) and are applied at registration.
    private readonly ConcurrentDictionary<(JobRef Job, string Kind), DateTimeOffset> _early = new();
    private readonly Channel<byte> _advertise = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>1 when the queue may hold jobs for this worker: at start, after a wake-up, after a full batch or a failed claim.</summary>
    private int _queueMayHoldJobs = 1;
    private readonly CancellationTokenSource _hardStop = new();
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private readonly ResiliencePipeline _backoff = RedisBackoff.Create(logger, "worker");
    private int _runningCount;

    /// <summary>Set once shutdown begins: no handoff is taken any more.</summary>
    private volatile bool _stopping;

    /// <summary>How long an idle worker's wait for a handoff counts; its empty claims (every IdlePoll) renew it.</summary>
    private TimeSpan HandoffWait => _options.IdlePoll * 3;

    public string WorkerId { get; } = string.IsNullOrEmpty(workerOptions.Value.Id)
        ? $"{Environment.MachineName}-{Environment.ProcessId}"
        : workerOptions.Value.Id;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = redis.GetSubscriber();
        await _backoff.ExecuteAsync(async _ => await subscriber.SubscribeAsync(keys.WakeChannel, (_, message) => OnWake(message)), stoppingToken);
        await _backoff.ExecuteAsync(async _ => await subscriber.SubscribeAsync(keys.WorkerChannel(WorkerId), (_, message) => OnStarted(message)), stoppingToken);
        await _backoff.ExecuteAsync(async _ => await subscriber.SubscribeAsync(keys.CancelChannel, (_, member) => Signal(_cancels, "cancel", member!, "its workflow was cancelled")), stoppingToken);
        await _backoff.ExecuteAsync(async _ => await subscriber.SubscribeAsync(keys.StopChannel, (_, member) => Signal(_stops, "stop", member!, "a stop was requested")), stoppingToken);
        LogStarted(WorkerId, _options.Concurrency, string.Join(", ", catalog.Names));

        catalog.Changed += () => _advertise.Writer.TryWrite(0);
        var heartbeat = HeartbeatLoopAsync(stoppingToken);
        var renewals = RenewLoopAsync(stoppingToken);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        _stopping = true;
        await TryAsync(() => store.WaitForHandoffAsync(WorkerId, TimeSpan.Zero), "stop waiting for handoffs");
        await DrainAsync();
        await TryAsync(() => subscriber.UnsubscribeAsync(keys.WakeChannel), "unsubscribe");
        await TryAsync(() => subscriber.UnsubscribeAsync(keys.WorkerChannel(WorkerId)), "unsubscribe");
        await TryAsync(() => subscriber.UnsubscribeAsync(keys.CancelChannel), "unsubscribe");
        await TryAsync(() => subscriber.UnsubscribeAsync(keys.StopChannel), "unsubscribe");
        await Task.WhenAll(heartbeat, renewals);
        await TryAsync(() => registry.LeaveAsync(ProcessRole.Worker, WorkerId), "leave the registry");
        LogStopped(WorkerId);
    }

    /// <summary>Wakes the claim loop: a slot came free, or (<see cref="QueueFilled"/>) the queue may hold jobs.</summary>
    private void Wake() => _wake.Writer.TryWrite(0);

    /// <summary>
    /// A wake-channel message: <c>h\n&lt;worker&gt;\n&lt;member&gt;</c> hands a job (already leased to that worker) straight
    /// to an idle worker; anything else says the queue went from empty to non-empty.
    /// </summary>
    private void OnWake(RedisValue message)
    {
        var text = (string?)message ?? "";
        if (!text.StartsWith("h\n", StringComparison.Ordinal))
        {
            QueueFilled();
            return;
        }

        var parts = text.Split('\n', 3);
        if (parts.Length == 3 && parts[1] == WorkerId)
        {
            _ = StartHandedOffAsync(JobRef.Parse(parts[2]));
        }
    }

    private async Task StartHandedOffAsync(JobRef job)
    {
        if (_stopping)
        {
            logger.LogInformation("Not starting {Job}, handed over during shutdown; its lease will expire and the controller will requeue it.", job);
            return;
        }

        try
        {
            foreach (var claimed in await store.StartHandedOffAsync(WorkerId, job))
            {
                await LaunchAsync(claimed);
            }
        }
#pragma warning disable CA1031 // A failed handoff must not crash the worker; the job's lease brings it back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "Starting {Job}, handed over by the queue, failed; its lease will expire and the controller will requeue it.", job);
        }
    }

    /// <summary>
    /// This worker's own channel: a new single job, submitted while this worker was idle, that the submit already
    /// started on its behalf (state 2, attempt 1, leased to it), as <c>from:job_id\nto\ncmd\ndata</c>. It runs at once,
    /// with no round trip before the function.
    /// </summary>
    private void OnStarted(RedisValue message)
    {
        var parts = ((string?)message ?? "").Split('\n', 4);
        if (parts.Length != 4)
        {
            logger.LogWarning("Ignoring a malformed message on worker {Worker}'s channel.", WorkerId);
            return;
        }

        var job = new ClaimedJob(JobRef.Parse(parts[0]), 1, parts[1], parts[2], parts[3]);
        if (_stopping)
        {
            // Shutting down: give it straight back rather than leave it to its lease.
            _ = TryAsync(() => store.ReleaseAsync([job]), $"give back {job.Job}, started during shutdown");
            return;
        }

        _ = LaunchAsync(job, inline: true);
    }

    /// <summary>
    /// The queue went from empty to non-empty (the wake channel), so the next free slot should claim. Without this, a
    /// claim loop that last found the queue drained does not ask again when a slot frees: that saves an empty claim
    /// (a round trip and two Redis commands) per job at low load.
    /// </summary>
    private void QueueFilled()
    {
        Volatile.Write(ref _queueMayHoldJobs, 1);
        Wake();
    }

    private void Signal(ConcurrentDictionary<JobRef, CancellationTokenSource> tokens, string kind, string member, string why)
    {
        var job = JobRef.Parse(member);
        if (tokens.TryGetValue(job, out var source))
        {
            logger.LogInformation("Signalling {Job}: {Why}.", member, why);
            source.Cancel();
        }
        else
        {
            _early[(job, kind)] = time.GetUtcNow();
            foreach (var old in _early.Where(e => time.GetUtcNow() - e.Value > TimeSpan.FromMinutes(1)).Select(e => e.Key).ToList())
            {
                _early.TryRemove(old, out _);
            }
        }
    }

    private async Task RegisterAsync(ConcurrentDictionary<JobRef, CancellationTokenSource> tokens, string kind, JobRef job, CancellationTokenSource source)
    {
        tokens[job] = source;
        if (_early.TryRemove((job, kind), out _))
        {
            await source.CancelAsync();
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = _options.Concurrency - Volatile.Read(ref _runningCount);
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

            ClaimBatch batch;
            try
            {
                // A worker that runs nothing and empties the queue waits for a handoff of the next job.
                var wait = Volatile.Read(ref _runningCount) == 0 ? HandoffWait : TimeSpan.Zero;
                batch = await _backoff.ExecuteAsync(async _ => await store.ClaimBatchAsync(WorkerId, Math.Min(free, _options.ClaimBatch), wait), stoppingToken);
            }
#pragma warning disable CA1031 // One failed claim must not end the loop; it is logged and retried.
            // StackExchange.Redis can also fail a pending command with TaskCanceledException when Redis hangs; only
            // the worker's own stopping token may end the loop.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                logger.LogError(ex, "Claiming jobs failed; retrying.");
                Volatile.Write(ref _queueMayHoldJobs, 1);
                await Task.Delay(_options.IdlePoll, time, stoppingToken);
                continue;
            }

            // A full batch may have left more behind; fewer than asked means the queue is empty now, and the next
            // enqueue will publish a wake-up.
            if (!batch.QueueDrained)
            {
                Volatile.Write(ref _queueMayHoldJobs, 1);
            }

            foreach (var job in batch.Jobs)
            {
                await LaunchAsync(job);
            }
        }
    }

    /// <param name="inline">Run the job on the calling thread: a pub/sub handler's own thread-pool work item, which
    /// nothing else waits on. The claim loop passes false, so one job's function never delays the next claim.</param>
    private async Task LaunchAsync(ClaimedJob job, bool inline = false)
    {
        if (IsRunner(job) && _stops.Count >= _options.MaxRunners)
        {
            // This worker holds all the runners it may; the job goes back for another worker, a second from now.
            await TryAsync(() => store.DeferAsync(job, time.GetUtcNow().AddSeconds(1)), "hand back a runner");
            return;
        }

        _running[job.Job] = job;
        Interlocked.Increment(ref _runningCount);
        _ = RunOneAsync(job, inline);
    }

    /// <summary>Waits for a wake-up; after <see cref="WorkerOptions.IdlePoll"/> without one, claims anyway (a lost pub/sub message must not strand jobs).</summary>
    private async Task WaitForWakeAsync(CancellationToken stoppingToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        idle.CancelAfter(_options.IdlePoll);
        try
        {
            await _wake.Reader.ReadAsync(idle.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            Volatile.Write(ref _queueMayHoldJobs, 1);
        }
    }

    private async Task RunOneAsync(ClaimedJob job, bool inline)
    {
        using var cancel = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        await RegisterAsync(_cancels, "cancel", job.Job, cancel);
        var runner = IsRunner(job);
        if (runner)
        {
            await RegisterAsync(_stops, "stop", job.Job, stop);
            if (job.StopRequested)
            {
                await stop.CancelAsync();
            }
        }

        try
        {
            if (!inline)
            {
                await Task.Yield();
            }

            var recorded = await executor.RunAsync(job, _backoff, stop.Token, _hardStop.Token, cancel.Token);
            if (recorded)
            {
                _running.TryRemove(job.Job, out _);
            }
        }
#pragma warning disable CA1031 // A job's bookkeeping failure must not crash the worker; its lease brings it back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "Recording the outcome of {Job} failed; its lease will expire and the controller will requeue it.", job.Job);
            _running.TryRemove(job.Job, out _);
        }
        finally
        {
            _cancels.TryRemove(job.Job, out _);
            if (runner)
            {
                _stops.TryRemove(job.Job, out _);
            }

            if (Interlocked.Decrement(ref _runningCount) == 0 && Volatile.Read(ref _queueMayHoldJobs) == 0 && !_stopping)
            {
                // Idle again with the queue drained: the next job may come straight here (queue_enqueue.lua).
                _ = TryAsync(() => store.WaitForHandoffAsync(WorkerId, HandoffWait), "wait for a handoff");
            }

            Wake();
        }
    }

    /// <summary>Graceful shutdown: no new claims; running jobs get the grace period, then cancellation; what is left goes back to the queue at once.</summary>
    private async Task DrainAsync()
    {
        var deadline = time.GetUtcNow() + _options.ShutdownGrace;
        while (Volatile.Read(ref _runningCount) > 0 && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time);
        }

        await _hardStop.CancelAsync();
        var waitForCancelled = time.GetUtcNow() + TimeSpan.FromSeconds(2);
        while (Volatile.Read(ref _runningCount) > 0 && time.GetUtcNow() < waitForCancelled)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time);
        }

        var left = _running.Values.ToList();
        if (left.Count > 0)
        {
            logger.LogWarning("Shutting down: giving {Count} unfinished job(s) back to the queue.", left.Count);
            await TryAsync(() => store.ReleaseAsync(left), "release unfinished jobs");
        }
    }

    private bool IsRunner(ClaimedJob job) => catalog.TryGet(job.Cmd, out var function) && function.Mode == FunctionalModules.FunctionMode.ForeverRun;

    private async Task RenewLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(jobOptions.Value.LeaseDuration / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TryAsync(() => store.RenewLeasesAsync([.. _running.Keys]), "renew leases");
                await TryAsync(ApplyMissedSignalsAsync, "check stop and cancel flags");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The safety net for signals pub/sub lost (a reconnect): the flags stay in the jobs' hashes.</summary>
    private async Task ApplyMissedSignalsAsync()
    {
        if (_running.IsEmpty)
        {
            return;
        }

        var (stop, cancel) = await store.GetSignalsAsync([.. _running.Keys]);
        foreach (var job in stop)
        {
            Signal(_stops, "stop", job.Member, "a stop was requested");
        }

        foreach (var job in cancel)
        {
            Signal(_cancels, "cancel", job.Member, "its workflow was cancelled");
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        // Beats every HeartbeatInterval, and at once when modules change, so new functions are offered within moments.
        try
        {
            while (true)
            {
                var advert = new ProcessAdvert(WorkerId, "worker", Environment.MachineName, Environment.ProcessId, _started,
                    catalog.Names, _options.Concurrency, Volatile.Read(ref _runningCount), catalog.Modules,
                    [.. _stops.Keys.Select(j => j.Member)], catalog.RunnerNames);
                await TryAsync(() => registry.HeartbeatAsync(advert, _options.HeartbeatInterval * 3), "heartbeat");
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                beat.CancelAfter(_options.HeartbeatInterval);
                try
                {
                    await _advertise.Reader.ReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task TryAsync(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
#pragma warning disable CA1031 // Periodic work survives any single failure; the next tick tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogWarning("Worker {Worker} could not {What}: {Error}", WorkerId, what, ex.Message);
        }
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} started: concurrency {Concurrency}, functions {Functions}")]
    private partial void LogStarted(string worker, int concurrency, string functions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} stopped.")]
    private partial void LogStopped(string worker);
}
