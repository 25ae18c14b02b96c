using ExeSys.Core.Hosting;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Stats;
using ExeSys.FunctionalModules;
using ExeSys.FunctionalModules.Builtins;
using ExeSys.Worker.Execution;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Modules;
using ExeSys.Worker.Observability;

namespace ExeSys.Worker.Hosting;

public static class WorkerHostExtensions
{
    public static IHostApplicationBuilder AddExeSysWorker(this IHostApplicationBuilder builder)
    {
        builder.AddExeSysCore();
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddBuiltinFunctions();
        builder.Services.AddOptions<FunctionDataStoreOptions>().BindConfiguration(FunctionDataStoreOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<FunctionDataStore>();
        builder.Services.AddSingleton<IExeSysFunction, StopRunnerFunction>();
        builder.Services.AddSingleton<IExeSysFunction, WaitEventFunction>();
        builder.Services.AddSingleton<IExeSysFunction, WaitAcquireFunction>();
        builder.Services.AddSingleton<IExeSysFunction, WaitReleaseFunction>();
        builder.Services.AddSingleton<IExeSysFunction, WaitCountdownFunction>();
        builder.Services.AddSingleton<FunctionCatalog>();
        builder.Services.AddSingleton<JobExecutor>();
        builder.Services.AddSingleton<RunStatsRecorder>();
        builder.Services.AddHostedService<StatsFlushService>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.AddExeSysMetrics("ExeSys.Worker", MetricsEndpoint.Listener);
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<WorkerSignals>();
        builder.Services.AddSingleton<RunningJobs>();
        builder.Services.AddSingleton<ClaimLoop>();
        builder.Services.AddSingleton<LeaseRenewal>();
        builder.Services.AddSingleton<Heartbeat>();
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddSingleton<ModuleLoader>();
        builder.Services.AddHostedService<ModuleWatcher>();
        builder.Services.AddHostedService<WorkerService>();

        // The host must outlive the worker's own shutdown grace, or running jobs would be cut off early.
        var grace = builder.Configuration.GetValue($"{WorkerOptions.Section}:ShutdownGrace", TimeSpan.FromSeconds(10));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = grace + TimeSpan.FromSeconds(10));
        return builder;
    }
}
