using System.Net;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// The original step protocol on POST /sys_cmd: steps share one job_id, each is named by its 'from' and names the next
/// step in its 'to'; the first is posted plain and the later ones with 'Operation: workflow'.
/// </summary>
[TestFixture]
public sealed class Posting_workflow_steps_as_the_original_clients_do : On_the_shared_cluster
{
    private const int Chains = 20;

    // test_cmd_workflow adds 1 to data[1]: each step's result is its own data plus one, and the last step's is the EOJ.
    private static readonly (string From, string To, int Data)[] ThreeSteps = [("s1", "s2", 0), ("s2", "s3", 5), ("s3", "end_job", 10)];

    private static string Step(string jobId, (string From, string To, int Data) step) =>
        SysCmdHttp.Command(step.From, jobId, "test_cmd_workflow", $"[\"k\",{step.Data}]", step.To);

    [Test]
    public async Task Should_finish_twenty_three_step_chains_and_return_the_EOJ_when_the_last_step_is_re_sent()
    {
        var jobIds = Enumerable.Range(0, Chains).Select(_ => NewId("chain")).ToList();

        var posted = await Task.WhenAll(jobIds.Select(async id =>
        {
            var replies = new List<Reply>();
            for (var i = 0; i < ThreeSteps.Length; i++)
            {
                replies.Add(await Cluster.PostStepAsync(Step(id, ThreeSteps[i]), withWorkflowHeader: i > 0));
            }

            return replies;
        }));

        Assert.That(posted.SelectMany(r => r).Where(r => r.Status != HttpStatusCode.Accepted), Is.Empty, "every step is accepted as new");
        await AssertChainsFinishedAsync(jobIds);
    }

    [Test]
    public async Task Should_finish_twenty_chains_whose_steps_arrive_in_reverse_order()
    {
        var jobIds = Enumerable.Range(0, Chains).Select(_ => NewId("reverse")).ToList();

        var laterSteps = await Task.WhenAll(jobIds.Select(async id =>
        {
            var last = await Cluster.PostStepAsync(Step(id, ThreeSteps[2]), withWorkflowHeader: true);
            var middle = await Cluster.PostStepAsync(Step(id, ThreeSteps[1]), withWorkflowHeader: true);
            return (last, middle);
        }));

        // Nothing can have run yet: the first step is not posted, so the later ones must wait in standby.
        using (Assert.EnterMultipleScope())
        {
            foreach (var (last, middle) in laterSteps)
            {
                Assert.That((last.Code, last.State, last.Resp), Is.EqualTo((202, 1, "standby")), last.Text);
                Assert.That((middle.Code, middle.State, middle.Resp), Is.EqualTo((202, 1, "standby")), middle.Text);
            }
        }

        var first = await Task.WhenAll(jobIds.Select(id => Cluster.PostStepAsync(Step(id, ThreeSteps[0]), withWorkflowHeader: false)));
        Assert.That(first.Where(r => r.Status != HttpStatusCode.Accepted), Is.Empty, "every first step is accepted as new");

        await AssertChainsFinishedAsync(jobIds);
    }

    [Test]
    public async Task Should_give_each_step_the_result_of_the_step_before_it()
    {
        // sum adds its own data and its predecessor's numeric result: 1, then 10 + 1, then 100 + 11.
        var id = NewId("inputs");
        await Cluster.PostStepAsync(SysCmdHttp.Command("first", id, "sum", "1", "second"), withWorkflowHeader: false);
        await Cluster.PostStepAsync(SysCmdHttp.Command("second", id, "sum", "10", "third"), withWorkflowHeader: true);
        await Cluster.PostStepAsync(SysCmdHttp.Command("third", id, "sum", "100", "end_job"), withWorkflowHeader: true);

        var last = await ResendUntilDataAvailableAsync(SysCmdHttp.Command("third", id, "sum", "100", "end_job"));
        var second = await Cluster.GetAsync($"/jobs/second/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.Get("data").GetInt64(), Is.EqualTo(111), last.Text);
            Assert.That(second.Get("data").GetInt64(), Is.EqualTo(11), second.Text);
        }
    }

    [Test]
    public async Task Should_fail_every_later_step_naming_the_step_that_failed()
    {
        var id = NewId("broken");
        await Cluster.PostStepAsync(SysCmdHttp.Command("load", id, "test_cmd_workflow", """["k",0]""", "explode"), withWorkflowHeader: false);
        await Cluster.PostStepAsync(SysCmdHttp.Command("explode", id, "test_error_cmd", "null", "store"), withWorkflowHeader: true);
        await Cluster.PostStepAsync(SysCmdHttp.Command("store", id, "test_cmd_workflow", """["k",5]""", "report"), withWorkflowHeader: true);

        var store = await Cluster.WaitForJobAsync("store", id);

        // The last step arrives after the chain has already failed.
        var reportCommand = SysCmdHttp.Command("report", id, "test_cmd_workflow", """["k",10]""", "end_job");
        var reportPosted = await Cluster.PostStepAsync(reportCommand, withWorkflowHeader: true);
        var reportResent = await Cluster.PostStepAsync(reportCommand, withWorkflowHeader: false);
        var load = await Cluster.GetAsync($"/jobs/load/{id}");
        var explode = await Cluster.GetAsync($"/jobs/explode/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(load.State, Is.EqualTo(3), load.Text);
            Assert.That(explode.State, Is.EqualTo(4), explode.Text);
            Assert.That(explode.Field("error"), Does.Contain("test_error_cmd raised an error"), explode.Text);
            foreach (var later in new[] { store, reportPosted, reportResent })
            {
                Assert.That(later.Status, Is.EqualTo(HttpStatusCode.OK), later.Text);
                Assert.That((later.State, later.Resp), Is.EqualTo((4, "error")), later.Text);
                Assert.That(later.Field("error"), Does.Contain("explode"), later.Text);
                Assert.That(later.Attempts, Is.Zero, "a step after the failure never runs: " + later.Text);
                Assert.That(later.Text, Does.Not.Contain("data_available"));
            }
        }
    }

    private async Task AssertChainsFinishedAsync(List<string> jobIds)
    {
        var eoj = await Task.WhenAll(jobIds.Select(id => ResendUntilDataAvailableAsync(Step(id, ThreeSteps[^1]))));
        var steps = await Task.WhenAll(jobIds.SelectMany(id => ThreeSteps.Select(s => Cluster.GetAsync($"/jobs/{s.From}/{id}"))));

        using (Assert.EnterMultipleScope())
        {
            foreach (var reply in eoj)
            {
                Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
                Assert.That(reply.Resp, Is.EqualTo("data_available"), reply.Text);
                Assert.That(reply.Get("data").GetRawText(), Is.EqualTo("""["k",11]"""), reply.Text);
            }

            // Every step ran exactly once, in order, and holds its own result.
            Assert.That(steps, Has.Length.EqualTo(jobIds.Count * ThreeSteps.Length));
            for (var i = 0; i < steps.Length; i++)
            {
                var step = ThreeSteps[i % ThreeSteps.Length];
                Assert.That((steps[i].State, steps[i].Attempts), Is.EqualTo((3, 1)), steps[i].Text);
                Assert.That(steps[i].Get("data").GetRawText(), Is.EqualTo($"[\"k\",{step.Data + 1}]"), steps[i].Text);
            }

            for (var i = 0; i + 1 < steps.Length; i++)
            {
                if (i % ThreeSteps.Length != ThreeSteps.Length - 1)
                {
                    Assert.That(Updated(steps[i + 1]), Is.GreaterThanOrEqualTo(Updated(steps[i])), "a step finishes after the step before it");
                }
            }
        }
    }

    /// <summary>Re-sends the last step without the header, as the original clients poll, until its EOJ is there.</summary>
    private Task<Reply> ResendUntilDataAvailableAsync(string lastStep) =>
        Eventually.WaitForAsync(
            () => Cluster.PostStepAsync(lastStep, withWorkflowHeader: false, query: "?wait=5s"),
            r => r.Status != HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(30),
            "the chain's last step to finish");

    private static DateTimeOffset Updated(Reply reply) => reply.Get("updated").GetDateTimeOffset();
}
