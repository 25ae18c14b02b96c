using ExeSys.Controller.Archiving;
using ExeSys.Controller.Observability;
using ExeSys.Controller.Schedules;
using ExeSys.Controller.Ticking;
using ExeSys.Core.Hosting;
using ExeSys.Core.Observability.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExeSys.Controller.Hosting;

public static class ControllerHostExtensions
{
    public static IHostApplicationBuilder AddExeSysController(this IHostApplicationBuilder builder)
    {
        builder.AddExeSysCore();
        // The controller publishes its limits to Redis at start, for every claim to read (LimitsCheck).
        builder.Services.Replace(ServiceDescriptor.Singleton(new LimitsRole(Publishes: true)));
        builder.Services.AddOptions<ControllerOptions>().BindConfiguration(ControllerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<ControllerService>();
        builder.Services.AddHostedService<ScheduleService>();
        builder.Services.AddSingleton<HistoryArchiver>();
        builder.Services.AddHostedService<HistoryArchiverService>();
        if (builder.AddExeSysMetrics("ExeSys.Controller", MetricsEndpoint.Listener))
        {
            builder.Services.AddHostedService<QueueGauges>();
        }

        return builder;
    }
}
