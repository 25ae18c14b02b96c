
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Per-node retry and timeout, and what a node that ends in error does to its run.</summary>
[TestFixture]
public sealed class Retrying_and_timing_out_a_node : On_the_shared_cluster
{
    [TestCase(1)]
    [TestCase(3)]
    public async Task Should_retry_a_node_that_times_out_up_to_max_attempts_then_fail_the_run_naming_it(int maxAttempts)
    {
        var (from, id) = (NewId("timeout"), NewId("run"));
        var nodes = $$"""
            {
              "first": {"cmd": "echo", "data": 1, "next": ["slow"]},
              "slow":  {"cmd": "sleep", "data": 10000, "timeout": "150ms", "retry": {"max_attempts": {{maxAttempts}}, "backoff": "50ms"},
                        "next": ["never"]},
              "never": {"cmd": "echo", "next": ["end_job"]}
            }
            """;
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, nodes));

        var run = await Cluster.WaitForRunAsync(from, id);
        var slow = await Cluster.GetAsync($"/jobs/slow/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Phase, run.State), Is.EqualTo(("failed", 4)), run.Text);
            Assert.That(run.Error, Does.Contain("slow").And.Contain("timed out"), run.Text);
            Assert.That((run["slow"].State, run["slow"].Attempts), Is.EqualTo((4, maxAttempts)), run.Text);
            Assert.That(run["slow"].Error, Does.Contain("timed out"), run.Text);
            Assert.That((run["never"].State, run["never"].Attempts, run["never"].Started), Is.EqualTo((1, 0, (DateTimeOffset?)null)),
                "a node after the failure never runs: " + run.Text);
            if (maxAttempts > 1)
            {
                Assert.That(slow.Get("errors").GetArrayLength(), Is.EqualTo(maxAttempts), "every attempt's error is kept: " + slow.Text);
            }
        }
    }

    [Test]
    public async Task Should_not_retry_a_function_that_reports_its_own_failure()
    {
        // fail throws a FunctionException: an expected failure that a retry would not mend.
        var (from, id) = (NewId("failing"), NewId("run"));
        const string Nodes = """
            {
              "boom":  {"cmd": "fail", "data": "disk full", "retry": {"max_attempts": 3, "backoff": "50ms"}, "next": ["never"]},
              "never": {"cmd": "echo", "next": ["end_job"]}
            }
            """;
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, Nodes));

        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Phase, run.State), Is.EqualTo(("failed", 4)), run.Text);
            Assert.That(run.Error, Does.Contain("boom").And.Contain("disk full"), run.Text);
            Assert.That((run["boom"].State, run["boom"].Attempts, run["boom"].Error), Is.EqualTo((4, 1, "disk full")), run.Text);
            Assert.That(run["never"].Attempts, Is.Zero, run.Text);
        }
    }
}
