using System.Threading.Channels;
using ExeSys.Core.Queues;
using ExeSys.Core.Registry;
using ExeSys.Core.Resilience;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Advertises this worker, its functions, modules and runners in the process registry every
/// <see cref="WorkerOptions.HeartbeatInterval"/>, and at once when its modules change, so new functions are offered
/// within moments. The worker drops out of the registry after three missed beats.
/// <para>
/// An id belongs to one worker process: the registry refuses a heartbeat whose id another live process holds
/// (<see cref="IProcessRegistry.HeartbeatAsync"/>). At start (<see cref="JoinAsync"/>) the worker waits once for the
/// holder's heartbeat to lapse (a restart after a crash), and if the holder is still beating, refuses to run; a
/// worker that loses its id later (it froze past its heartbeats, and another started with its id) stops.
/// </para>
/// </summary>
public sealed class Heartbeat
{
    private readonly IProcessRegistry _registry;
    private readonly FunctionCatalog _catalog;
    private readonly RunningJobs _running;
    private readonly WorkerSignals _signals;
    private readonly WorkerIdentity _worker;
    private readonly WorkerOptions _options;
    private readonly ILogger<Heartbeat> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;
    private readonly Channel<byte> _advertise = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public Heartbeat(IProcessRegistry registry, FunctionCatalog catalog, RunningJobs running, WorkerSignals signals, WorkerIdentity worker,
        IOptions<WorkerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<Heartbeat> logger)
    {
        _lifetime = lifetime;
        _time = time;
        _registry = registry;
        _catalog = catalog;
        _running = running;
        _signals = signals;
        _worker = worker;
        _options = options.Value;
        _logger = logger;
        _started = time.GetUtcNow();
        catalog.Changed += () => _advertise.Writer.TryWrite(0);
    }

    /// <summary>The exit code of a worker that refuses to run, or stops, because another live worker process has its id.</summary>
    public const int DuplicateIdExitCode = 3;

    private TimeSpan Ttl => _options.HeartbeatInterval * 3;

    /// <summary>
    /// The first heartbeat, before the worker takes any job. False when another live worker process holds this id:
    /// the worker then must not run. A holder that died is waited out once (at most its heartbeat's time-to-live,
    /// three of its HeartbeatIntervals); one that is still beating after that is alive.
    /// </summary>
    public async Task<bool> JoinAsync(CancellationToken stoppingToken)
    {
        var backoff = RedisBackoff.Create(_logger, "worker");
        for (var tries = 1; ; tries++)
        {
            var reply = await backoff.ExecuteAsync(async _ => await _registry.HeartbeatAsync(Advert(), Ttl), stoppingToken);
            if (reply.Advertised)
            {
                return true;
            }

            if (tries > 1)
            {
                Refuse("at start");
                return false;
            }

            _logger.LogWarning("Worker id {Worker} is held by another worker process whose heartbeat lasts {HeldFor} more; waiting for it to lapse, in case that process has died.", _worker.Id, reply.HeldFor);
            await Task.Delay(reply.HeldFor + TimeSpan.FromMilliseconds(100), _time, stoppingToken);
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                var advert = Advert();
                await BestEffort.RunAsync(_logger, _worker, async () =>
                {
                    if (!(await _registry.HeartbeatAsync(advert, Ttl)).Advertised)
                    {
                        Refuse("while running");
                    }
                }, "heartbeat");
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

    private ProcessAdvert Advert() =>
        new(_worker.Id, "worker", Environment.MachineName, Environment.ProcessId, _started,
            _catalog.Names, _options.Concurrency, _running.Count, _catalog.Modules,
            [.. _signals.Runners.Select(j => j.Member)], _catalog.RunnerNames, _options.ServedQueues, WorkerOffer.SignatureOf(_catalog.Names));

    /// <summary>Another live worker process holds this id: two workers with one id would both run every job started for it.</summary>
    private void Refuse(string when)
    {
        _logger.LogCritical(
            "Worker id {Worker} is already taken by another live worker process ({When}). ExeSys:Worker:Id must be unique: two workers with one id would both run every job started for that id. Stopping with exit code {Code}.",
            _worker.Id, when, DuplicateIdExitCode);
        Environment.ExitCode = DuplicateIdExitCode;
        _lifetime.StopApplication();
    }

    /// <summary>Leaves the registry on shutdown, so the worker is not offered until its beats lapse.</summary>
    public Task LeaveAsync() => BestEffort.RunAsync(_logger, _worker, () => _registry.LeaveAsync(ProcessRole.Worker, _worker.Id), "leave the registry");
}
