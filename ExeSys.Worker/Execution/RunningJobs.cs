using System.Collections.Concurrent;
using ExeSys.Core.Jobs;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using ExeSys.FunctionalModules;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;
using Polly;

namespace ExeSys.Worker.Execution;

/// <summary>
/// The jobs this worker runs at once: each claimed job is launched here, runs concurrently (<see cref="JobExecutor"/>),
/// and stays listed until its outcome is recorded, so lease renewal keeps it and the shutdown drain can give it back.
/// </summary>
public sealed class RunningJobs(
    JobExecutor executor,
    IWorkerConnection store,
    FunctionCatalog catalog,
    WorkerSignals signals,
    WorkerIdentity worker,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<RunningJobs> logger) : IDisposable
{
    private readonly WorkerOptions _options = options.Value;
    private readonly ConcurrentDictionary<JobRef, ClaimedJob> _running = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ResiliencePipeline _backoff = RedisBackoff.Create(logger, "worker");
    private int _count;

    /// <summary>Raised when a job ends (recorded or not); true when it was the last one running, so the worker is idle.</summary>
    public event Action<bool>? SlotFreed;

    /// <summary>How many jobs run now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Free places, out of <see cref="WorkerOptions.Concurrency"/>.</summary>
    public int Free => _options.Concurrency - Count;

    /// <summary>The jobs whose outcome is not recorded yet: their leases must be renewed.</summary>
    public IReadOnlyCollection<JobRef> Leased => [.. _running.Keys];

    /// <summary>The jobs whose outcome is not recorded yet, as claimed: what shutdown gives back.</summary>
    public IReadOnlyCollection<ClaimedJob> Unrecorded => [.. _running.Values];

    /// <summary>Starts a claimed job.</summary>
    /// <param name="inline">Run the job on the calling thread: a notification handler's own thread-pool work item, which
    /// nothing else waits on. The claim loop passes false, so one job's function never delays the next claim.</param>
    public async Task LaunchAsync(ClaimedJob job, bool inline = false)
    {
        if (IsRunner(job) && signals.RunnerCount >= _options.MaxRunners)
        {
            // This worker holds all the runners it may; the job goes back for another worker, a second from now.
            await BestEffort.RunAsync(logger, worker, () => store.DeferAsync(job, time.GetUtcNow().AddSeconds(1)), "hand back a runner");
            return;
        }

        _running[job.Job] = job;
        Interlocked.Increment(ref _count);
        _ = RunOneAsync(job, inline);
    }

    /// <summary>Cancels every running function (the shutdown grace is over); their jobs stay listed, unrecorded.</summary>
    public Task CutOffAsync() => _hardStop.CancelAsync();

    private bool IsRunner(ClaimedJob job) => catalog.TryGet(job.Cmd, out var function) && function.Mode == FunctionMode.ForeverRun;

    private async Task RunOneAsync(ClaimedJob job, bool inline)
    {
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
            // shutdown stays listed, for the drain to give back.
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
            signals.Unregister(job.Job);
            SlotFreed?.Invoke(Interlocked.Decrement(ref _count) == 0);
        }
    }

    public void Dispose() => _hardStop.Dispose();
}
