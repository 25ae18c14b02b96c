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
/// The cap is a lock-free token bucket kept as GCRA (one compare-and-swap per new trace, no lock), with a burst of
/// one second's worth.
/// </para>
/// </summary>
public sealed class TraceSampler : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);
    private readonly Sampler? _ratio;
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _burst;
    private long _arrival;

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
            _interval = Math.Max(1, time.TimestampFrequency / maxPerSecond);
            _burst = _interval * maxPerSecond;
            _arrival = time.GetTimestamp() - _burst;
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

        return _interval == 0 || TryTake(_time.GetTimestamp()) ? Keep : Drop;
    }

    /// <summary>Takes one trace's token: the theoretical arrival time moves on by one interval, unless that puts it more than the burst ahead of now.</summary>
    private bool TryTake(long now)
    {
        while (true)
        {
            var arrival = Volatile.Read(ref _arrival);
            var next = Math.Max(arrival, now - _burst) + _interval;
            if (next > now)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _arrival, next, arrival) == arrival)
            {
                return true;
            }
        }
    }
}
