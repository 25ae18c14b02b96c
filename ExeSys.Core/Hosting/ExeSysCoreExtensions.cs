using ExeSys.Core.Configuration;
using ExeSys.Core.Events;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Latches;
using ExeSys.Core.Limits;
using ExeSys.Core.Listing;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Observability.Tracing;
using ExeSys.Core.Queues;
using ExeSys.Core.Redis;
using ExeSys.Core.Registry;
using ExeSys.Core.Schedules;
using ExeSys.Core.Stats;
using ExeSys.Core.Storage;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Hosting;

public static class ExeSysCoreExtensions
{
    /// <summary>
    /// Options, the shared Redis connection, key names, the storage contracts on Redis, the process registry and the
    /// MongoDB history (when configured). The composition root of every process: the one place that names the Redis implementations.
    /// </summary>
    public static IHostApplicationBuilder AddExeSysCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddExeSysInstruments();
        services.AddSingleton<QueueRouting>();
        services.AddSingleton<OfferDirectory>();
        // Redis's clock, the one every process shares, wherever a time is compared across processes (RedisTime).
        services.AddRedisTime();
        services.AddSingleton<IConnectionMultiplexer>(sp => Connect(sp.GetRequiredService<IOptions<RedisOptions>>().Value));
        services.AddHostedService<RedisAccessCheck>();
        services.AddHostedService<RedisEvictionPolicyCheck>();
        services.AddSingleton<RedisKeys>();
        services.AddExeSysMongo();
        services.AddSingleton<RedisClock>();
        services.AddSingleton<RetentionPolicy>();
        services.AddSingleton<RedisTopology>();
        services.AddSingleton<RedisQueueSlot>();
        services.AddSingleton<RedisLeaseRelease>();
        // Limits and concurrency keys: which jobs go into limited lanes, and the limits in Redis (the controller
        // publishes them: it replaces the role).
        services.AddSingleton<JobLanes>();
        services.AddSingleton<RedisLimits>();
        services.TryAddSingleton(new LimitsRole(Publishes: false));
        services.AddHostedService<LimitsCheck>();
        services.AddSingleton<RedisArchiveBacklog>();
        services.AddSingleton<IArchiveSource>(sp => sp.GetRequiredService<RedisArchiveBacklog>());

        // The storage contracts, each for its callers (ExeSys.Core/Storage): the API's client side, the worker's
        // connection, the controller's maintenance, and the typed notifications between them.
        services.AddOptions<ConsoleIndexOptions>().BindConfiguration(ConsoleIndexOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RedisJobIndex>();
        services.AddSingleton<IJobIndex>(sp => sp.GetRequiredService<RedisJobIndex>());
        services.AddSingleton<IJobClient, RedisJobClient>();
        services.AddSingleton<IWorkerConnection, RedisWorkerConnection>();
        services.AddSingleton<IStoreMaintenance, RedisStoreMaintenance>();
        services.AddSingleton<IJobNotifications, RedisJobNotifications>();
        services.AddSingleton<IStoreHealth, RedisStoreHealth>();
        services.AddSingleton<IProcessRegistry, RedisProcessRegistry>();
        services.AddSingleton<IWorkflowClient, RedisWorkflowClient>();
        services.AddSingleton<IWorkflowDefinitions, RedisWorkflowDefinitions>();
        services.AddSingleton<IEventStore, RedisEventStore>();
        services.AddSingleton<ILatchStore, RedisLatchStore>();
        services.AddSingleton<IQueueAdmin, RedisQueueAdmin>();
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IScheduleStore, RedisScheduleStore>();
        services.AddSingleton<ScheduleFiring>();
        services.AddSingleton<ExeSys.Core.Auth.RedisApiKeyStore>();
        // Run statistics (GET /stats): workers add to them, the API reads them; spans when OTLP export is configured.
        services.AddOptions<StatsOptions>().BindConfiguration(StatsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IRunStatsStore, RedisRunStats>();
        builder.AddExeSysTracing();
        return builder;
    }

    /// <summary>
    /// One multiplexer per process. It connects in the background and keeps reconnecting, so a process starts
    /// (and stays up) while Redis is down; commands fail fast instead of queueing, so callers can answer 503 or back off.
    /// </summary>
    private static ConnectionMultiplexer Connect(RedisOptions options)
    {
        var config = RedisConnection.Configure(options.Connection, options);
        config.SyncTimeout = options.OperationTimeoutMs;
        config.AsyncTimeout = options.OperationTimeoutMs;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        // Socket I/O on the .NET thread pool rather than StackExchange.Redis's dedicated scheduler threads: a profile of
        // the API under load showed most of its CPU in that scheduler's thread hand-offs (futex waits), and the
        // benchmark's p50 latency fell from 1.9 ms to 1.35 ms with this.
        config.SocketManager = SocketManager.ThreadPool;
        config.ClientName ??= $"exesys-{Environment.ProcessId}";
        return ConnectionMultiplexer.Connect(config);
    }
}
