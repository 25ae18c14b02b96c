using System.Collections.Concurrent;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using ExeSys.FunctionalModules;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// The jobs this worker runs at once: each claimed job is launched here, runs concurrently (<see cref="JobExecutor"/>),
/// and stays listed until its outcome is recorded, so lease renewal keeps it and the shutdown drain can give it back.
/// A job whose lease is lost leaves the list at once (nothing renews, records or gives it back), but keeps its place
/// (<see cref="Count"/>) until its function returns.
/// </summary>
public sealed class RunningJobs(
    JobExecutor executor,
    IWorkerConnection store,
    FunctionCatalog catalog,
    WorkerSignals signals,
    WorkerIdentity worker,
    IOptions<WorkerOptions> options,
    IOptions<JobOptions> jobOptions,
    TimeProvider time,
    ILogger<RunningJobs> logger) : IDisposable
{
    private readonly WorkerOptions _options = options.Value;
    private readonly TimeSpan _lease = jobOptions.Value.LeaseDuration;
    private readonly ConcurrentDictionary<JobRef, RunningJob> _running = new();
    private readonly CancellationTokenSource _hardStop = new();
    private int _count;

    /// <summary>Raised when a job ends (recorded or not); true when it was the last one running, so the worker is idle.</summary>
    public event Action<bool>? SlotFreed;

    /// <summary>How many jobs run now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Free places, out of <see cref="WorkerOptions.Concurrency"/>.</summary>
    public int Free => _options.Concurrency - Count;

    /// <summary>The jobs whose outcome is not recorded yet and whose lease holds: their leases must be renewed.</summary>
    public IReadOnlyCollection<RunningJob> Leased => [.. _running.Values];

    /// <summary>The jobs whose outcome is not recorded yet, as claimed: what shutdown gives back.</summary>
    public IReadOnlyCollection<ClaimedJob> Unrecorded => [.. _running.Values.Select(r => r.Claim)];

    /// <summary>Starts a claimed job.</summary>
    /// <param name="leasedAt">When the claim (or the handoff, or the start) that leased it to this worker was sent or
    /// received (<see cref="TimeProvider.GetTimestamp"/>): the lease runs out one lease later unless renewed.</param>
    /// <param name="inline">Run the job on the calling thread: a notification handler's own thread-pool work item, which
    /// nothing else waits on. The claim loop passes false, so one job's function never delays the next claim.</param>
    public async Task LaunchAsync(ClaimedJob job, long leasedAt, bool inline = false)
    {
        if (IsRunner(job) && signals.RunnerCount >= _options.MaxRunners)
        {
            // This worker holds all the runners it may; the job goes back for another worker, a second from now.
            // Recording retries no longer than the lease lasts.
            using var withinLease = new CancellationTokenSource(_lease, time);
            await BestEffort.RunAsync(logger, worker, () => store.DeferAsync(job, time.GetUtcNow().AddSeconds(1), withinLease.Token), "hand back a runner");
            return;
        }

        var running = new RunningJob(job, _lease, leasedAt, time);
        _running[job.Job] = running;
        Interlocked.Increment(ref _count);
        running.Lost.Token.Register(() => OnLost(running));
        _ = RunOneAsync(running, inline);
    }

    /// <summary>Cancels every running function (the shutdown grace is over); their jobs stay listed, unrecorded.</summary>
    public Task CutOffAsync() => _hardStop.CancelAsync();

    private bool IsRunner(ClaimedJob job) => catalog.TryGet(job.Cmd, out var function) && function.Mode == FunctionMode.ForeverRun;

    /// <summary>
    /// The lease is lost: the job leaves the list, so nothing renews it, records its outcome or gives it back, and
    /// its function's token is already cancelled. If the same job comes back to this worker, it is a new attempt.
    /// </summary>
    private void OnLost(RunningJob running)
    {
        if (!running.TryMarkLost())
        {
            return;
        }

        Forget(running);
        logger.LogWarning("Lost the lease of {Job} attempt {Attempt} ({Why}): cancelled its function; nothing will be recorded for this attempt.",
            running.Job, running.Claim.Attempt, running.LostBecause ?? $"no renewal succeeded for {_lease}");
    }

    private async Task RunOneAsync(RunningJob running, bool inline)
    {
        var job = running.Claim;
        using var cancel = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        await signals.RegisterCancelAsync(job.Job, cancel);
        if (IsRunner(job))
        {
            await signals.RegisterStopAsync(job.Job, stop);
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

            // Checkpoint: the outcome is recorded (fenced by attempt) before the job leaves this list; a job cut off by
            // shutdown stays listed, for the drain to give back; a job whose lease was lost has left it already.
            if (await executor.RunAsync(running, stop.Token, _hardStop.Token, cancel.Token) == RunEnd.Recorded)
            {
                Forget(running);
            }
        }
#pragma warning disable CA1031 // A job's bookkeeping failure must not crash the worker; its lease brings it back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "Recording the outcome of {Job} failed; its lease will expire and the controller will requeue it.", job.Job);
            Forget(running);
        }
        finally
        {
            running.End();
            running.Dispose();
            signals.Unregister(job.Job, cancel, stop);
            SlotFreed?.Invoke(Interlocked.Decrement(ref _count) == 0);
        }
    }

    /// <summary>Drops this attempt from the list, and not a later attempt of the same job that this worker runs now.</summary>
    private void Forget(RunningJob running) => _running.TryRemove(new KeyValuePair<JobRef, RunningJob>(running.Job, running));

    public void Dispose() => _hardStop.Dispose();
}
