using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ExeSys.Core.Observability.Metrics;

/// <summary>How a process serves its metrics to Prometheus.</summary>
public enum MetricsEndpoint
{
    /// <summary>The API: <c>/metrics</c> is an endpoint of its own web app (mapped by the API, behind its keys).</summary>
    WebApp,

    /// <summary>The worker and the controller: a small HTTP listener on <see cref="MetricsOptions.Port"/>, when one is set.</summary>
    Listener,
}

public static class MetricsHostExtensions
{
    /// <summary>
    /// The meters exported: ExeSys's own, the runtime's (GC, thread pool, exceptions) and ASP.NET Core's requests
    /// (<c>http.server.*</c>), Kestrel's connections and its unhandled exceptions. ASP.NET Core's routing,
    /// authentication, authorization and memory-pool meters are left out: each records on every request (the memory
    /// pool on every buffer), which a busy API pays for in CPU (see the README's Metrics section).
    /// <see cref="MetricsOptions.ExtraMeters"/> adds them back.
    /// </summary>
    private static readonly string[] ExportedMeters =
    [
        "ExeSys.*", "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics",
    ];

    /// <summary>
    /// Runtime gauges whose OpenTelemetry names end in <c>.count</c>, which Prometheus reserves for histograms and
    /// summaries (<c>promtool check metrics</c> refuses <c>dotnet_timer_count</c>): exported under these names instead.
    /// </summary>
    private static readonly (string Name, string PrometheusSafe)[] Renamed =
    [
        ("dotnet.assembly.count", "dotnet.assemblies.loaded"),
        ("dotnet.process.cpu.count", "dotnet.process.cpus"),
        ("dotnet.timer.count", "dotnet.timers"),
    ];

    /// <summary>
    /// The instruments every process records into (<see cref="ExeSysMetrics"/>), and its options. Called by
    /// AddExeSysCore; without <see cref="AddExeSysMetrics"/> nothing listens, and a measurement costs nearly nothing.
    /// </summary>
    public static IServiceCollection AddExeSysInstruments(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(new MetricsProcess("ExeSys"));
        services.AddSingleton<ExeSysMetrics>();
        return services;
    }

    /// <summary>
    /// Names the process's meter, and exports metrics: to Prometheus (<paramref name="endpoint"/>) and, when
    /// ExeSys:Metrics:OtlpEndpoint is set, over OTLP. Only the MeterProvider: tracing is configured apart (its own
    /// <c>AddOpenTelemetry().WithTracing</c>, which composes with this). Returns whether anything exports, so the
    /// process adds the gauges that read Redis only then.
    /// </summary>
    public static bool AddExeSysMetrics(this IHostApplicationBuilder builder, string processName, MetricsEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton(new MetricsProcess(processName)));
        var options = MetricsOptions.From(builder.Configuration);
        var scraped = (endpoint == MetricsEndpoint.WebApp && options.Enabled) || options.Listens;
        if (!scraped && !options.Pushes)
        {
            return false;
        }

        builder.Services.AddHostedService<RedisRoundTrip>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(processName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. ExportedMeters, .. options.ExtraMeters]);
                foreach (var (name, prometheusSafe) in Renamed)
                {
                    metrics.AddView(name, new MetricStreamConfiguration { Name = prometheusSafe });
                }

                if (endpoint == MetricsEndpoint.WebApp)
                {
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
                else if (options.Listens)
                {
                    metrics.AddPrometheusHttpListener(o =>
                    {
                        o.Host = options.Host;
                        o.Port = options.Port;
                        o.ScrapeEndpointPath = "/metrics";
                        o.ScrapeResponseCacheDurationMilliseconds = 0;
                    });
                }

                if (options.Pushes)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = new Uri(options.OtlpEndpoint);
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpInterval.TotalMilliseconds;
                    });
                }
            });
        return true;
    }
}
