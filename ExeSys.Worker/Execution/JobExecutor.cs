using System.Text.Json;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Observability.Logging;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Observability.Tracing;
using ExeSys.Core.Stats;
using ExeSys.Core.Storage;
using ExeSys.Core.Workflows;
using ExeSys.FunctionalModules;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Observability;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>How one attempt ended on this worker.</summary>
public enum RunEnd
{
    /// <summary>Its outcome is recorded (or was refused as stale): the job is done here.</summary>
    Recorded,

    /// <summary>Shutdown cut it off before its outcome was recorded: it is to be given back (released).</summary>
    CutOff,

    /// <summary>Its lease was lost: nothing was recorded, and nothing is to be; the controller gives it to another worker.</summary>
    Lost,
}

/// <summary>Runs one claimed job's function and records its outcome.</summary>
public sealed class JobExecutor(FunctionCatalog catalog, FunctionDataStore dataStore, ExeSysMongo mongo, IWorkerConnection store, IOptions<JobOptions> options, TimeProvider time, ILoggerFactory loggers, ILogger<JobExecutor> logger, RunStatsRecorder stats, WorkerMetrics metrics)
{
    /// <summary>How long a function may take to honour its timeout's cancellation before the worker gives up on it.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The delivery guarantee is kept here. The job was claimed (state 2, lease held); the function runs; its EOJ or
    /// error is recorded by one fenced script, which also advances the job's workflow, and only then is the lease
    /// dropped. If this process dies before that, the lease expires and the controller puts the job back: execution
    /// is at least once, the recorded result exactly once. A job whose lease is lost meanwhile
    /// has its function cancelled, and nothing is recorded for it: the controller gives it to another worker.
    /// </summary>
    /// <param name="cancel">Cancels this job only (its workflow was cancelled).</param>
    /// <param name="stop">Asks a runner to finish (a stop was requested).</param>
    /// <param name="running">The attempt; its <see cref="RunningJob.Lost"/> is cancelled when this worker learns it lost the
    /// job's lease, or has gone a lease without renewing it.</param>
    public async Task<RunEnd> RunAsync(RunningJob running, CancellationToken stop, CancellationToken hardStop, CancellationToken cancel)
    {
        var (job, lost) = (running.Claim, running.Lost.Token);
        // The attempt's span (null unless tracing is on) and its logger scope: every line logged below names the job.
        using var span = JobTracing.StartAttempt(job);
        using var scope = logger.BeginScope(new JobLogScope(job, span));
        var started = time.GetTimestamp();
        var startedAt = metrics.Started(job);
        var outcome = await InvokeAsync(job, stop, hardStop, cancel, lost);
        var ran = time.GetElapsedTime(started);
        var lostLease = running.CheckLost();
        if (lostLease || outcome is null)
        {
            var end = lostLease ? RunEnd.Lost : RunEnd.CutOff;
            Ended(job, span, end == RunEnd.Lost ? RunOutcome.Lost : RunOutcome.CutOff, ran, "the attempt ended without a result");
            metrics.Finished(job, lostLease ? JobOutcomes.Lost : JobOutcomes.Released, startedAt);
            return end;
        }

        Ended(job, span, outcome.Name, ran, outcome.Error);

        // A result is never dropped because Redis blinked or is full: recording retries while the lease holds.
        using var untilLost = CancellationTokenSource.CreateLinkedTokenSource(hardStop, lost);
        try
        {
            var recorded = await outcome.RecordAsync(store, job, untilLost.Token);
            metrics.Finished(job, recorded ? outcome.Label(job) : JobOutcomes.Lost, startedAt);
            return RunEnd.Recorded;
        }
        catch (OperationCanceledException) when (untilLost.IsCancellationRequested)
        {
            metrics.Finished(job, lost.IsCancellationRequested ? JobOutcomes.Lost : JobOutcomes.Released, startedAt);
            return lost.IsCancellationRequested ? RunEnd.Lost : RunEnd.CutOff;
        }
    }

    /// <summary>Counts the attempt for GET /stats (in memory: StatsFlushService writes it) and closes its span.</summary>
    private void Ended(ClaimedJob job, System.Diagnostics.Activity? span, string? outcome, TimeSpan ran, string? error)
    {
        if (outcome is not null)
        {
            stats.Record(job.Cmd, outcome, ran);
            JobTracing.End(span, outcome, error);
        }
    }

    private async Task<Outcome?> InvokeAsync(ClaimedJob job, CancellationToken stop, CancellationToken hardStop, CancellationToken cancel, CancellationToken lost)
    {
        if (!catalog.TryGet(job.Cmd, out var function))
        {
            // Routing gives a worker only jobs of functions it offers; this is the race where the function was withdrawn
            // between its advert and the claim. Not the job's failure: it goes back to its lane, attempt given back.
            logger.LogWarning("Handing {Job} back to its queue: no function named '{Function}' is loaded on this worker any more.", job.Job, job.Cmd);
            return new Unrun();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(hardStop, cancel, lost);
        if (job.TimeoutMs > 0)
        {
            timeout.CancelAfter(TimeSpan.FromMilliseconds(job.TimeoutMs));
        }

        try
        {
            using var data = JsonDocument.Parse(job.DataJson);
            using var inputs = JsonDocument.Parse(job.InputsJson);
            var context = new FunctionContext(
                job.Job.From, job.Job.JobId, job.To, job.Cmd, data.RootElement, job.Attempt,
                loggers.CreateLogger($"ExeSys.Functions.{job.Cmd}"), timeout.Token)
            {
                Inputs = inputs.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal),
                DeferredUntil = job.DeferredUntilMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(job.DeferredUntilMs) : null,
                StopRequested = stop,
                DataStore = await dataStore.GetDatabaseAsync(),
                Mongo = mongo.Enabled ? mongo.FunctionsDatabase : null,
                Publisher = async progress => await store.PublishProgressAsync(job, progress?.ToJsonString() ?? "null"),
            };
            var run = function.RunAsync(context).AsTask();
            using var ignored = lost.Register(() => _ = WarnIfStillRunningAsync(job, run));
            if (job.TimeoutMs > 0 &&
                await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(job.TimeoutMs) + AbandonGrace, time, hardStop)) != run)
            {
                // The function ignored its cancellation. Record the timeout anyway, so the node is not held by a
                // function that never returns; the stray task is left to end on its own.
                _ = run.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                return Retryable(job, $"timed out after {job.TimeoutMs} ms and did not stop when cancelled (attempt {job.Attempt})");
            }

            var result = await run;
            using var resultDoc = JsonDocument.Parse(result?.ToJsonString() ?? "null");
            return new Completed(resultDoc.RootElement.GetRawText(), TakenEdges(job.NextJson, resultDoc.RootElement));
        }
        catch (DeferException deferred)
        {
            return new Deferred(deferred.Until);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested || hardStop.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new Failed("cancelled", null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return Retryable(job, $"timed out after {job.TimeoutMs} ms (attempt {job.Attempt})");
        }
        catch (FunctionException ex)
        {
            // An expected failure the function reported on purpose (bad input, say): retrying would not help.
            logger.LogDebug("Job {Job} ({Cmd}) attempt {Attempt} failed: {Error}", job.Job, job.Cmd, job.Attempt, ex.Message);
            return new Failed(ex.Message, null);
        }
#pragma warning disable CA1031 // Any exception a function throws is the job's error, never the worker's.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var message = string.IsNullOrWhiteSpace(ex.Message) ? ex.GetType().Name : $"{ex.GetType().Name}: {ex.Message}";
            logger.LogInformation("Job {Job} ({Cmd}) attempt {Attempt} failed: {Error}", job.Job, job.Cmd, job.Attempt, message);
            return Retryable(job, message);
        }
    }

    /// <summary>
    /// A function whose lease was lost still runs after its cancellation's grace: it ignores the cancellation. Nothing
    /// can stop it from outside, so it keeps its place in <see cref="RunningJobs"/> until it returns, and its result is
    /// then discarded (see the README's Guarantees).
    /// </summary>
    private async Task WarnIfStillRunningAsync(ClaimedJob job, Task run)
    {
        await Task.WhenAny(run, Task.Delay(AbandonGrace, time));
        if (!run.IsCompleted)
        {
            logger.LogError("Job {Job} ({Cmd}) attempt {Attempt} lost its lease, but its function ignores the cancellation: it keeps its place on this worker until it returns, and its result will be discarded.", job.Job, job.Cmd, job.Attempt);
        }
    }

    /// <summary>Exponential backoff with ±20% jitter; the Lua script decides whether attempts remain.</summary>
    private Failed Retryable(ClaimedJob job, string message)
    {
        var baseMs = job.BackoffMs > 0 ? job.BackoffMs : options.Value.RetryBackoff.TotalMilliseconds;
#pragma warning disable CA5394 // Jitter, not security.
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
        var delay = baseMs * Math.Pow(2, Math.Min(job.Attempt - 1, 20)) * jitter;
        return new Failed(message, time.GetUtcNow().AddMilliseconds(Math.Min(delay, TimeSpan.FromHours(1).TotalMilliseconds)));
    }

    private static List<string> TakenEdges(string nextJson, JsonElement result)
    {
        var taken = new List<string>();
        if (string.IsNullOrEmpty(nextJson))
        {
            return taken;
        }

        using var next = JsonDocument.Parse(nextJson);
        foreach (var edge in next.RootElement.EnumerateArray())
        {
            if (!edge.TryGetProperty("when", out var when) || EdgeCondition.Evaluate(when, result))
            {
                taken.Add(edge.GetProperty("to").GetString()!);
            }
        }

        return taken;
    }

    private abstract record Outcome
    {
        /// <summary>How GET /stats and the span count it (RunOutcome); null: the function did not run here.</summary>
        public abstract string? Name { get; }

        public virtual string? Error => null;

        public abstract Task<bool> RecordAsync(IWorkerConnection store, ClaimedJob job, CancellationToken untilLost);

        /// <summary>Its <c>outcome</c> label (<see cref="JobOutcomes"/>), once recorded.</summary>
        public abstract string Label(ClaimedJob job);
    }

    private sealed record Completed(string ResultJson, IReadOnlyList<string> Taken) : Outcome
    {
        public override string Name => RunOutcome.Ok;

        public override Task<bool> RecordAsync(IWorkerConnection store, ClaimedJob job, CancellationToken untilLost) => store.CompleteAsync(job, ResultJson, Taken, untilLost);

        public override string Label(ClaimedJob job) => JobOutcomes.Ok;
    }

    private sealed record Failed(string Message, DateTimeOffset? RetryAt) : Outcome
    {
        public override string Name => RunOutcome.Failed;

        public override string Error => Message;

        public override Task<bool> RecordAsync(IWorkerConnection store, ClaimedJob job, CancellationToken untilLost) => store.FailAsync(job, Message, RetryAt, untilLost);

        /// <summary>Retried exactly when job_finish.lua retries: a retry time, and attempts left.</summary>
        public override string Label(ClaimedJob job) => RetryAt is not null && job.Attempt < job.MaxAttempts ? JobOutcomes.Retried : JobOutcomes.Failed;
    }

    /// <summary>This worker cannot run the job (<see cref="IWorkerConnection.ReturnUnrunAsync"/>).</summary>
    private sealed record Unrun : Outcome
    {
        public override string? Name => null;

        public override async Task<bool> RecordAsync(IWorkerConnection store, ClaimedJob job, CancellationToken untilLost)
        {
            await store.ReturnUnrunAsync(job);
            return true;
        }

        public override string Label(ClaimedJob job) => JobOutcomes.Released;
    }

    private sealed record Deferred(DateTimeOffset Until) : Outcome
    {
        public override string Name => RunOutcome.Deferred;

        public override Task<bool> RecordAsync(IWorkerConnection store, ClaimedJob job, CancellationToken untilLost) => store.DeferAsync(job, Until, untilLost);

        public override string Label(ClaimedJob job) => JobOutcomes.Deferred;
    }
}
