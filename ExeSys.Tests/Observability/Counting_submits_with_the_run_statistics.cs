using ExeSys.Core.Stats;

namespace ExeSys.Tests.Observability;

/// <summary>
/// The API counts the jobs it accepts per tenant in the same recorder the workers count attempts in: a drain gives one
/// '~submitted:&lt;tenant&gt;' field per tenant (not one per job), GET /stats never mistakes it for a function, and a flush
/// that fails puts it back for the next.
/// </summary>
[TestFixture]
public sealed class Counting_submits_with_the_run_statistics
{
    [Test]
    public void Should_drain_one_field_per_tenant_that_no_function_reading_takes_for_a_function_and_restore_it_after_a_failed_flush()
    {
        var recorder = new RunStatsRecorder();
        for (var i = 0; i < 5; i++)
        {
            recorder.RecordSubmitted("default");
        }

        recorder.RecordSubmitted("shop", 3);
        recorder.RecordSubmitted("shop", 0);
        recorder.Record("echo", RunOutcome.Ok, TimeSpan.FromMilliseconds(2));

        var drained = recorder.Drain();
        var submitted = drained.Where(f => StatsField.TenantOfSubmitted(f.Key) is not null).ToDictionary(f => StatsField.TenantOfSubmitted(f.Key)!, f => f.Value);
        recorder.Restore(drained);
        var again = recorder.Drain();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(submitted, Is.EquivalentTo(new Dictionary<string, long> { ["default"] = 5, ["shop"] = 3 }));
            Assert.That(drained.Where(f => StatsField.TenantOfSubmitted(f.Key) is not null).Select(f => StatsField.Parse(f.Key)), Is.All.Null, "GET /stats passes the submit fields by");
            Assert.That(StatsField.TenantOfSubmitted(StatsField.Outcome("echo", RunOutcome.Ok)), Is.Null);
            Assert.That(again.OrderBy(f => f.Key, StringComparer.Ordinal), Is.EqualTo(drained.OrderBy(f => f.Key, StringComparer.Ordinal)), "a failed flush's counts go with the next");
            Assert.That(recorder.Drain(), Is.Empty, "nothing is counted twice");
        }
    }
}
