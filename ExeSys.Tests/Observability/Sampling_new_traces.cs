using System.Diagnostics;
using ExeSys.Core.Observability.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;

namespace ExeSys.Tests.Observability;

/// <summary>
/// Tracing on keeps every new trace up to ExeSys:Tracing:MaxTracesPerSecond (and a share, SampleRatio), and a span
/// always follows its parent's decision, which a job's stored traceparent carries: a trace is kept whole or not at all.
/// First the sampler on a fake clock, then the TracerProvider that AddExeSysTracing builds, with an in-memory exporter.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Sampling_new_traces
{
    private const string TestSource = "ExeSys.Tests.Sampling";

    private static SamplingParameters Root(ActivityTraceId? trace = null) =>
        new(default, trace ?? ActivityTraceId.CreateRandom(), "process echo", ActivityKind.Consumer);

    private static SamplingParameters ChildOf(bool sampled) =>
        new(new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true),
            ActivityTraceId.CreateRandom(), "process echo", ActivityKind.Consumer);

    [Test]
    public void Should_keep_at_most_the_cap_of_new_traces_a_second_and_one_more_per_interval_after()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sampler = new TraceSampler(1.0, 10, clock);

        var burst = Enumerable.Range(0, 50).Count(_ => sampler.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        var afterOneInterval = Enumerable.Range(0, 50).Count(_ => sampler.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample);
        clock.Advance(TimeSpan.FromSeconds(5));
        var afterAPause = Enumerable.Range(0, 50).Count(_ => sampler.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(burst, Is.EqualTo(10), "one second's worth at once");
            Assert.That(afterOneInterval, Is.EqualTo(1), "then one per 1/10 s");
            Assert.That(afterAPause, Is.EqualTo(10), "a pause refills the burst, never more");
        }
    }

    [Test]
    public void Should_keep_every_new_trace_without_a_cap_and_a_share_of_them_by_trace_id_with_a_ratio()
    {
        var all = new TraceSampler(1.0, 0, TimeProvider.System);
        var none = new TraceSampler(0.0, 0, TimeProvider.System);
        var half = new TraceSampler(0.5, 0, TimeProvider.System);
        var trace = ActivityTraceId.CreateRandom();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, 1000).Count(_ => all.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample), Is.EqualTo(1000));
            Assert.That(Enumerable.Range(0, 1000).Count(_ => none.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample), Is.Zero);
            Assert.That(Enumerable.Range(0, 1000).Count(_ => half.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample), Is.InRange(400, 600));
            Assert.That(Enumerable.Range(0, 20).Select(_ => half.ShouldSample(Root(trace)).Decision).Distinct().Count(), Is.EqualTo(1), "the same trace id, the same decision");
        }
    }

    [Test]
    public void Should_follow_the_parents_decision_whatever_the_cap()
    {
        var sampler = TraceSampler.Create(new TracingOptions { SampleRatio = 0.0, MaxTracesPerSecond = 1 }, TimeProvider.System);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, 100).Count(_ => sampler.ShouldSample(ChildOf(sampled: true)).Decision == SamplingDecision.RecordAndSample), Is.EqualTo(100));
            Assert.That(Enumerable.Range(0, 100).Count(_ => sampler.ShouldSample(ChildOf(sampled: false)).Decision == SamplingDecision.RecordAndSample), Is.Zero);
            Assert.That(sampler.ShouldSample(Root()).Decision, Is.EqualTo(SamplingDecision.Drop), "a ratio of 0 keeps no new trace");
        }
    }

    [Test]
    public async Task Should_sample_the_spans_of_the_tracer_provider_exesys_builds()
    {
        var spans = new List<Activity>();
        using var host = BuildHost(("ExeSys:Tracing:MaxTracesPerSecond", "5"), spans);
        await host.StartAsync();
        using var source = new ActivitySource(TestSource);
        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var unsampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);

        for (var i = 0; i < 50; i++)
        {
            source.StartActivity("root")?.Dispose();
            source.StartActivity("sampled-child", ActivityKind.Consumer, sampledParent)?.Dispose();
            source.StartActivity("unsampled-child", ActivityKind.Consumer, unsampledParent)?.Dispose();
        }

        await host.StopAsync();
        var names = spans.Where(s => s.Source.Name == TestSource).Select(s => s.DisplayName).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(names.Count(n => n == "root"), Is.InRange(1, 5), "new traces: at most the cap's burst of 5 (others in this process may take tokens too)");
            Assert.That(names.Count(n => n == "sampled-child"), Is.EqualTo(50), "a sampled parent is always followed");
            Assert.That(names.Count(n => n == "unsampled-child"), Is.Zero, "an unsampled parent is always followed");
        }
    }

    [TestCase("ExeSys:Tracing:MaxTracesPerSecond", "-1")]
    [TestCase("ExeSys:Tracing:SampleRatio", "1.5")]
    public void Should_refuse_to_start_with_a_bad_sampling_setting_naming_it(string setting, string value)
    {
        using var host = BuildHost((setting, value), []);
        var refused = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(refused!.Message, Does.Contain(setting));
    }

    private static IHost BuildHost((string Key, string Value) setting, List<Activity> spans)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // A port where nothing listens: the OTLP export fails quietly; the in-memory exporter sees the spans.
            ["ExeSys:Tracing:OtlpEndpoint"] = "http://127.0.0.1:9",
            [setting.Key] = setting.Value,
        });
        builder.AddExeSysTracing();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TestSource).AddInMemoryExporter(spans));
        return builder.Build();
    }
}
