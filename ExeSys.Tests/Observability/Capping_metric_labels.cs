using System.Diagnostics.Metrics;
using ExeSys.Core.Observability.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ExeSys.Tests.Observability;

/// <summary>
/// A process admits at most ExeSys:Metrics:MaxLabelValues distinct functions (and queues) as label values; later ones
/// are counted under '_other', so invented names cannot grow the series without bound, and no count is lost.
/// </summary>
[TestFixture]
public sealed class Capping_metric_labels
{
    [Test]
    public void Should_count_functions_beyond_the_cap_as_other_and_lose_no_count()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterName = "ExeSys.CapTest." + Guid.NewGuid().ToString("N");
        var metrics = new ExeSysMetrics(services.GetRequiredService<IMeterFactory>(), new MetricsProcess(meterName), Options.Create(new MetricsOptions { MaxLabelValues = 2 }));
        var seen = new Dictionary<(string Function, string Queue), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == "exesys.jobs.submitted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => (string)t.Value!);
            var key = (labels["function"], labels["queue"]);
            seen[key] = seen.GetValueOrDefault(key) + value;
        });
        listener.Start();

        foreach (var (function, queue) in new[] { ("a", "q1"), ("b", "q1"), ("c", "q2"), ("d", "q3"), ("a", "q3"), ("c", "q1") })
        {
            metrics.JobSubmitted(function, queue);
        }

        Assert.That(seen, Is.EquivalentTo(new Dictionary<(string, string), long>
        {
            [("a", "q1")] = 1,
            [("b", "q1")] = 1,
            [("_other", "q2")] = 1,
            [("_other", "_other")] = 1,
            [("a", "_other")] = 1,
            [("_other", "q1")] = 1,
        }));
    }
}
