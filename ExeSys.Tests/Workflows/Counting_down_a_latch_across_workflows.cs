using System.Globalization;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// littleflow's latch example on real processes (one API, two controllers, two workers): N workflow runs each
/// <c>wait_acquire</c> a latch whose name is templated from their data, do some work and <c>wait_release</c> it, while
/// another run's <c>wait_countdown</c> on that latch finishes only once all N have released, woken by the last release.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Counting_down_a_latch_across_workflows : On_the_shared_cluster
{
    private const int Holders = 3;

    [Test]
    public async Task Should_finish_the_countdown_only_after_every_run_that_acquired_the_latch_has_released_it()
    {
        var (from, batch, gate) = (NewId("latched"), NewId("batch"), NewId("gate"));
        var latch = $"batch-{batch}";
        var runs = Enumerable.Range(1, Holders).Select(i => NewId(string.Create(CultureInfo.InvariantCulture, $"part{i}"))).ToList();

        // Each run: acquire, work (it waits for its own gate event, so the test decides when it ends, then sleeps), release.
        for (var i = 0; i < Holders; i++)
        {
            await Cluster.SubmitRunAsync(RunBody.Graph(from, runs[i], $$"""
                {
                  "acquire": {"cmd": "wait_acquire", "data": "batch-{start_job.batch}", "next": ["gate"]},
                  "gate": {"cmd": "wait_event", "data": "{{gate}}-{{i}}", "next": ["work"]},
                  "work": {"cmd": "sleep", "data": 100, "next": ["release"]},
                  "release": {"cmd": "wait_release", "data": {"name": "batch-{start_job.batch}"}, "next": ["end_job"]}
                }
                """, dataJson: $$"""{"batch": "{{batch}}"}"""));
        }

        foreach (var run in runs)
        {
            await Cluster.WaitForRunStateAsync(from, run, r => r["acquire"].State == 3, "the run to acquire the latch");
        }

        var counter = NewId("countdown");
        await Cluster.SubmitRunAsync(RunBody.Graph(from, counter, """
            {
              "all_done": {"cmd": "wait_countdown", "data": {"name": "batch-{start_job.batch}"}, "next": ["report"]},
              "report": {"cmd": "echo", "data": "every part released", "next": ["end_job"]}
            }
            """, dataJson: $$"""{"batch": "{{batch}}"}"""));
        await Cluster.WaitForRunStateAsync(from, counter, r => r["all_done"].State == 1, "wait_countdown to defer itself");

        var releases = new List<Reply>();
        var countdownBetween = new List<WorkflowView>();
        for (var i = 0; i < Holders; i++)
        {
            await Cluster.PostAsync("/events", $$"""{"event":"{{gate}}-{{i}}","data":null}""");
            await Cluster.WaitForRunAsync(from, runs[i]);
            releases.Add(await Cluster.GetAsync($"/jobs/release/{runs[i]}"));
            if (i < Holders - 1)
            {
                // A countdown woken too early would be due at once; give it the time to show.
                await Task.Delay(300);
                countdownBetween.Add(await Cluster.ReadRunAsync(from, counter));
            }
        }

        var done = await Cluster.WaitForRunAsync(from, counter);
        var acquires = await Task.WhenAll(runs.Select(r => Cluster.GetAsync($"/jobs/acquire/{r}")));
        var countdown = await Cluster.GetAsync($"/jobs/all_done/{counter}");
        var parts = await Task.WhenAll(runs.Select(r => Cluster.ReadRunAsync(from, r)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(acquires.Select(a => a.Get("data").GetProperty("latch").GetString()), Is.All.EqualTo(latch), "the name comes from the run's data");
            Assert.That(acquires.Select(a => a.Get("data").GetProperty("count").GetInt32()).Order(), Is.EqualTo(Enumerable.Range(1, Holders)), "each run counts once");
            Assert.That(acquires.Select(a => a.Get("data").GetProperty("holder").GetString()), Is.EqualTo(runs), "a run holds the latch by its job_id");
            Assert.That(releases.Select(r => r.Get("data").GetProperty("count").GetInt32()), Is.EqualTo(Enumerable.Range(0, Holders).Select(i => Holders - 1 - i)), string.Join("\n", releases.Select(r => r.Text)));
            Assert.That(releases.Select(r => r.Get("data").GetProperty("released").GetBoolean()), Is.All.True);
            Assert.That(releases.Select(r => r.Get("data").GetProperty("woken").GetInt32()), Is.EqualTo(Enumerable.Range(0, Holders).Select(i => i == Holders - 1 ? 1 : 0)), "only the release that reached zero wakes the waiter");
            Assert.That(countdownBetween.Select(r => (r.Phase, r["all_done"].State)), Is.All.EqualTo(("running", 1)), "the countdown waits while any holder is left: " + string.Join("\n", countdownBetween.Select(r => r.Text)));
            Assert.That((done.Phase, done.State, done.Data.GetString()), Is.EqualTo(("done", 3, "every part released")), done.Text);
            Assert.That(countdown.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","count":0}"""), countdown.Text);
            // A release records its own end after its zero has woken the countdown, so the countdown may end first; it
            // cannot end before the last release started.
            Assert.That(done["all_done"].Finished, Is.GreaterThanOrEqualTo(parts.Max(p => p["release"].Started!.Value)), "the countdown ends after the last release began");
            Assert.That(done["all_done"].Attempts, Is.EqualTo(1), "waiting does not count as an attempt: " + done.Text);
        }

        var keys = Cluster.Redis.GetDatabase();
        Assert.That(
            (await keys.KeyExistsAsync(Cluster.Keys.LatchHolders(latch)), await keys.KeyExistsAsync(Cluster.Keys.LatchWaiters(latch))),
            Is.EqualTo((false, false)),
            "a latch at zero with no waiters leaves no key behind");
    }
}
