using ExeSys.Core.Limits;
using OpenTelemetry.Trace;

namespace ExeSys.Core.Observability.Tracing;

/// <summary>
/// The head sampler of a trace that starts in this process (a request without a sampled <c>traceparent</c>): a share of
/// trace ids (<see cref="TracingOptions.SampleRatio"/>), then at most <see cref="TracingOptions.MaxTracesPerSecond"/>
/// new traces a second, as Datadog's and Jaeger's rate-limiting samplers do. At low load every trace is kept; at
/// thousands of jobs a second the spans, their tags and their export cost a bounded amount. It is the root of a
/// parent-based sampler (<see cref="Create"/>), so a job's span follows its submit's decision, which its stored
/// <c>traceparent</c> carries: a trace is kept whole or not at all.
/// <para>
/// The cap is a lock-free token bucket (<see cref="LocalTokenBucket"/>: one compare-and-swap per new trace, no lock),
/// with a burst of one second's worth.
/// </para>
/// </summary>
public sealed class TraceSampler : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);
    private readonly Sampler? _ratio;
    private readonly TimeProvider _time;
    private readonly LocalTokenBucket? _cap;

    public TraceSampler(double ratio, int maxPerSecond, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(ratio, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ratio, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPerSecond);
        _ratio = ratio < 1 ? new TraceIdRatioBasedSampler(ratio) : null;
        _time = time;
        if (maxPerSecond > 0)
        {
            var interval = Math.Max(1, time.TimestampFrequency / maxPerSecond);
            _cap = new LocalTokenBucket(interval, interval * maxPerSecond);
        }

        Description = $"ExeSysTraceSampler{{ratio={ratio}, max_per_second={maxPerSecond}}}";
    }

    /// <summary>Parent-based: a sampled parent is followed, an unsampled one too; a new trace asks <see cref="TraceSampler"/>.</summary>
    public static Sampler Create(TracingOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ParentBasedSampler(new TraceSampler(options.SampleRatio, options.MaxTracesPerSecond, time));
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (_ratio is not null && _ratio.ShouldSample(samplingParameters).Decision == SamplingDecision.Drop)
        {
            return Drop;
        }

        return _cap is null || _cap.TryTake(_time.GetTimestamp(), out _) ? Keep : Drop;
    }
}
