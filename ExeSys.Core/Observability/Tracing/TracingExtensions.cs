using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ExeSys.Core.Observability.Tracing;

public static class TracingExtensions
{
    /// <summary>
    /// A TracerProvider exporting over OTLP, only when an endpoint is configured (<see cref="TracingOptions"/>): the
    /// ExeSys sources, ASP.NET Core's request spans (<c>Microsoft.AspNetCore</c>) and, with <c>ExeSys:Tracing:Redis</c>,
    /// each Redis command, sampled by <see cref="TraceSampler"/>. Without an endpoint nothing is registered and nothing listens.
    /// </summary>
    public static IHostApplicationBuilder AddExeSysTracing(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        if (options.OtlpEndpoint is null && string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing =>
            {
                // A new trace is kept by SampleRatio and MaxTracesPerSecond; a job's span follows its submit (TraceSampler).
                // Read through IOptions, so a bad value fails its validation (exit 2) rather than the sampler's constructor.
                tracing.SetSampler(sp => TraceSampler.Create(sp.GetRequiredService<IOptions<TracingOptions>>().Value, sp.GetService<TimeProvider>() ?? TimeProvider.System));
                tracing.AddSource(JobTracing.Sources).AddSource("Microsoft.AspNetCore");
                if (options.Redis)
                {
                    // The profiled commands become spans once per second (the instrumentation's default is 10 s).
                    tracing.AddRedisInstrumentation(o => o.FlushInterval = TimeSpan.FromSeconds(1));
                }

                tracing.AddOtlpExporter(o =>
                {
                    if (options.OtlpEndpoint is { } endpoint)
                    {
                        o.Endpoint = endpoint;
                    }
                });
            });
        return builder;
    }
}
