using ExeSys.Core.Hosting;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// The worker process's lifetime, composed of small parts: <see cref="ClaimLoop"/> (how jobs arrive),
/// <see cref="RunningJobs"/> (running them), <see cref="WorkerSignals"/> (stop and cancel), <see cref="LeaseRenewal"/>,
/// <see cref="Heartbeat"/> and <see cref="ShutdownDrain"/>.
/// <para>
/// The delivery guarantee, and where each checkpoint is kept:
/// <list type="number">
/// <item>claim: a job leaves the queue only leased to this worker, and moves to state 2 with its attempt counted
/// (<see cref="IWorkerConnection.ClaimAsync"/>; a handoff or a direct start leases it the same way);</item>
/// <item>run: while the function runs, <see cref="LeaseRenewal"/> keeps the lease. A lease it finds lost, or that
/// goes a lease without a renewal that succeeded, cancels the function at once, and nothing is recorded for that
/// attempt (<see cref="RunningJob"/>): the controller gives the job to another worker;</item>
/// <item>record: the EOJ or error is written by one script fenced by the attempt, which also advances the job's
/// workflow (<see cref="JobExecutor"/>); recording retries while Redis is away or full, as long as the lease holds;</item>
/// <item>ack: only then is the lease dropped and what the outcome released enqueued;</item>
/// <item>requeue on failure: a worker that dies or freezes stops renewing, its lease expires and the controller puts the
/// job back; a graceful stop gives unrecorded jobs back at once (<see cref="ShutdownDrain"/>).</item>
/// </list>
/// So a job runs at least once, and more than once only when its worker lost the lease mid-run; its recorded
/// outcome is written exactly once, since a stale attempt's result is refused.
/// </para>
/// </summary>
public sealed partial class WorkerService(
    IJobNotifications notifications,
    ClaimLoop claims,
    WorkerSignals signals,
    LeaseRenewal leases,
    Heartbeat heartbeat,
    ShutdownDrain drain,
    FunctionCatalog catalog,
    WorkerIdentity worker,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<WorkerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before anything that takes a job: another live worker process with this id would run the same jobs.
        try
        {
            // The times this worker writes (starts, retry and defer due times) are on Redis's clock from the first job.
            await time.WaitForRedisClockAsync(stoppingToken);
            if (!await heartbeat.JoinAsync(stoppingToken))
            {
                return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var subscription = await RedisBackoff.Create(logger, "worker").ExecuteAsync(
            async _ => await notifications.SubscribeWorkerAsync(worker.Id, OnNotification, options.Value.ServedQueues), stoppingToken);
        LogStarted(worker.Id, options.Value.Concurrency, string.Join(", ", catalog.Names));

        var beats = heartbeat.RunAsync(stoppingToken);
        var renewals = leases.RunAsync(stoppingToken);
        try
        {
            await claims.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await claims.StopAsync();
        await drain.DrainAsync();
        await BestEffort.RunAsync(logger, worker, async () => await subscription.DisposeAsync(), "unsubscribe");
        await Task.WhenAll(beats, renewals);
        await heartbeat.LeaveAsync();
        LogStopped(worker.Id);
    }

    private void OnNotification(WorkerNotification notification)
    {
        switch (notification)
        {
            case WorkerNotification.QueueFilled filled:
                claims.QueueFilled(filled.Function);
                break;
            case WorkerNotification.HandedOff handedOff:
                _ = claims.StartHandedOffAsync(handedOff.Job, handedOff.Queue);
                break;
            case WorkerNotification.ConnectionLost:
                claims.ConnectionLost();
                break;
            case WorkerNotification.Started started:
                claims.RunStarted(started.Job);
                break;
            case WorkerNotification.StopRequested stop:
                signals.Stop(stop.Job);
                break;
            case WorkerNotification.CancelRequested cancel:
                signals.Cancel(cancel.Job);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} started: concurrency {Concurrency}, functions {Functions}")]
    private partial void LogStarted(string worker, int concurrency, string functions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} stopped.")]
    private partial void LogStopped(string worker);
}
