using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Observability.Tracing;

/// <summary>
/// <c>ExeSys:Tracing</c>: where the spans go. Off by default: with no endpoint no TracerProvider is built, nothing
/// listens to the ExeSys activity sources and starting a span costs a null check. A submit's trace context is stored
/// with its job either way (<see cref="JobTracing"/>), so switching tracing on later needs no data change.
/// </summary>
public sealed class TracingOptions
{
    public const string Section = "ExeSys:Tracing";

    /// <summary>
    /// The OTLP collector to export spans to (e.g. <c>http://localhost:4317</c>). Empty: the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable, if set, switches tracing on instead; neither: tracing is off.
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (grpc, http/protobuf) and the other standard OTLP variables apply.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>
    /// The share of new traces (those not continuing a sampled <c>traceparent</c>) that are kept, by trace id: 1 keeps
    /// all, up to <see cref="MaxTracesPerSecond"/>.
    /// </summary>
    [Range(0.0, 1.0, ErrorMessage = "ExeSys:Tracing:SampleRatio must be between 0 and 1.")]
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>
    /// At most this many new traces a second per process (a burst of one second's worth); 0: no cap. A trace continuing
    /// a sampled <c>traceparent</c> is always kept, and a job's span always follows its submit's decision.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "ExeSys:Tracing:MaxTracesPerSecond must be between 0 (no cap) and 1000000.")]
    public int MaxTracesPerSecond { get; set; } = 100;

    /// <summary>Each Redis command as a child span (StackExchange.Redis's profiler): heavy, for diagnosing, off by default.</summary>
    public bool Redis { get; set; }
}
