using System.Threading.Channels;
using ExeSys.Core.Registry;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Advertises this worker, its functions, modules and runners in the process registry every
/// <see cref="WorkerOptions.HeartbeatInterval"/>, and at once when its modules change, so new functions are offered
/// within moments. The worker drops out of the registry after three missed beats.
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
    private readonly DateTimeOffset _started;
    private readonly Channel<byte> _advertise = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public Heartbeat(IProcessRegistry registry, FunctionCatalog catalog, RunningJobs running, WorkerSignals signals, WorkerIdentity worker,
        IOptions<WorkerOptions> options, TimeProvider time, ILogger<Heartbeat> logger)
    {
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

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                var advert = new ProcessAdvert(_worker.Id, "worker", Environment.MachineName, Environment.ProcessId, _started,
                    _catalog.Names, _options.Concurrency, _running.Count, _catalog.Modules,
                    [.. _signals.Runners.Select(j => j.Member)], _catalog.RunnerNames);
                await BestEffort.RunAsync(_logger, _worker, () => _registry.HeartbeatAsync(advert, _options.HeartbeatInterval * 3), "heartbeat");
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

    /// <summary>Leaves the registry on shutdown, so the worker is not offered until its beats lapse.</summary>
    public Task LeaveAsync() => BestEffort.RunAsync(_logger, _worker, () => _registry.LeaveAsync(ProcessRole.Worker, _worker.Id), "leave the registry");
}
