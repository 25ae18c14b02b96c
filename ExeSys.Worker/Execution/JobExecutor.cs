using System.Text.Json;
using ExeSys.Core.Jobs;
using ExeSys.FunctionalModules;
using ExeSys.Worker.Functions;
using Polly;

namespace ExeSys.Worker.Execution;

/// <summary>Runs one claimed job's function and records its outcome.</summary>
public sealed class JobExecutor(FunctionCatalog catalog, IJobStore store, ILoggerFactory loggers, ILogger<JobExecutor> logger)
{
    /// <summary>
    /// The delivery guarantee is kept here. The job was claimed (state 2, lease held); the function runs; its EOJ or
    /// error is recorded by one fenced script, which also frees the lease. If this process dies before that, the
    /// lease expires and the controller puts the job back: execution is at least once, the recorded result exactly once.
    /// </summary>
    /// <returns>False when the job was cut off by shutdown and must be released rather than recorded.</returns>
    public async Task<bool> RunAsync(ClaimedJob job, ResiliencePipeline redisBackoff, CancellationToken hardStop)
    {
        string? resultJson = null;
        string? error = null;
        if (!catalog.TryGet(job.Cmd, out var function))
        {
            error = $"No function named '{job.Cmd}' is loaded on this worker.";
        }
        else
        {
            try
            {
                using var data = JsonDocument.Parse(job.DataJson);
                var context = new FunctionContext(
                    job.Job.From, job.Job.JobId, job.To, job.Cmd, data.RootElement, job.Attempt,
                    loggers.CreateLogger($"ExeSys.Functions.{job.Cmd}"), hardStop);
                var result = await function.RunAsync(context);
                resultJson = result?.ToJsonString() ?? "null";
            }
            catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // Any exception a function throws is the job's error, never the worker's.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = string.IsNullOrWhiteSpace(ex.Message) ? ex.GetType().Name : ex.Message;
                logger.LogInformation("Job {Job} ({Cmd}) attempt {Attempt} failed: {Error}", job.Job, job.Cmd, job.Attempt, error);
            }
        }

        // A result is never dropped because Redis blinked: recording retries until Redis is back (or shutdown).
        await redisBackoff.ExecuteAsync(
            async _ => await (error is null ? store.CompleteAsync(job, resultJson!) : store.FailAsync(job, error)),
            hardStop);

        return true;
    }
}
