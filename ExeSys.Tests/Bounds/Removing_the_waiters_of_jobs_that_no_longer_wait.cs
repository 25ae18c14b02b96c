using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Bounds;

/// <summary>
/// A wait_event job that stops waiting leaves its event's waiters hash: at once when it times out or receives its
/// event, and at the next post after its time (its next look plus one ExeSys:Jobs:EventRecheck, 1 s here) when it
/// was cancelled or its keys are gone. Real API, controller and worker processes.
/// </summary>
[TestFixture]
public sealed class Removing_the_waiters_of_jobs_that_no_longer_wait
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private ExeSysDeployment _deployment = null!;

    [OneTimeSetUp]
    public async Task Start_exesys_with_a_one_second_recheck()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("waiters")).With("ExeSys:Jobs:EventRecheck", "00:00:01");
        _deployment = await ExeSysDeployment.Build(settings).WithController("waiters-controller").WithWorker("waiters-worker")
            .WaitForRegistration().WaitForFunctions("wait_event").StartAsync();
    }

    [OneTimeTearDown]
    public Task Stop_everything() => _deployment.DisposeAsync().AsTask();

    [Test]
    public async Task Should_remove_the_waiter_of_a_job_that_timed_out()
    {
        var (id, name) = (NewId("timeout"), NewId("never"));
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("timeouts", id, "wait_event", $$"""{"event":"{{name}}","timeout_ms":1500}"""));
        await WaitForWaiterAsync(name, $"timeouts:{id}");

        var failed = await _deployment.WaitForJobAsync("timeouts", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.State, Is.EqualTo(4), failed.Text);
            Assert.That(await WaitersAsync(name), Is.Empty, "the timed-out look removed its waiter, without any post");
        }
    }

    [Test]
    public async Task Should_remove_the_waiter_of_a_cancelled_runs_node_at_a_later_post()
    {
        var (from, id, name) = (NewId("cancels"), NewId("run"), NewId("approval"));
        await _deployment.SubmitRunAsync(RunBody.Graph(from, id, $$"""
            {"approve": {"cmd": "wait_event", "data": {"event": "{{name}}", "when": {"path": "order", "equals": 1} }, "next": ["end_job"]} }
            """));
        await WaitForWaiterAsync(name, $"approve:{id}");
        var cancelled = await _deployment.PostAsync($"/workflows/{from}/{id}/cancel");

        // Posts whose data the node's condition does not match: the waiter is never delivered to, only dropped.
        var left = await Eventually.WaitForAsync(
            async () => { await _deployment.PostAsync("/events", $$"""{"event":"{{name}}","data":{"order":2} }"""); return await WaitersAsync(name); },
            w => w.Count == 0, Within, "a post after the cancelled node's time to drop its waiter");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cancelled.Code, Is.EqualTo(200), cancelled.Text);
            Assert.That(left, Is.Empty);
        }
    }

    [Test]
    public async Task Should_remove_the_waiter_of_a_job_whose_keys_are_gone_and_of_one_that_got_its_event()
    {
        var (gone, ended, name) = (NewId("gone"), NewId("ended"), NewId("signal"));
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("expired", gone, "wait_event", $$"""{"event":"{{name}}","when":{"path":"to","equals":"nobody"} }"""));
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("enders", ended, "wait_event", $"\"{name}\""));
        await WaitForWaiterAsync(name, $"expired:{gone}");
        await WaitForWaiterAsync(name, $"enders:{ended}");
        // As when a job's keys expire: the status hash is gone, and nothing will look for this job again.
        await _deployment.Redis.GetDatabase().KeyDeleteAsync(_deployment.Keys.Status(new JobRef("expired", gone)));

        var posted = await _deployment.PostAsync("/events", $$"""{"event":"{{name}}","data":{"to":"anyone"} }""");
        var done = await _deployment.WaitForJobAsync("enders", ended);
        var afterTheEvent = await WaitersAsync(name);
        var left = await Eventually.WaitForAsync(
            async () => { await _deployment.PostAsync("/events", $$"""{"event":"{{name}}","data":{"to":"anyone"} }"""); return await WaitersAsync(name); },
            w => w.Count == 0, Within, "a post after the gone job's time to drop its waiter");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(posted.Get("delivered").GetArrayLength(), Is.EqualTo(1), posted.Text);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(afterTheEvent, Does.Not.Contain($"enders:{ended}"), "the job that got its event left at once");
            Assert.That(left, Is.Empty);
        }
    }

    private async Task<List<string>> WaitersAsync(string name) =>
        [.. (await _deployment.Redis.GetDatabase().HashKeysAsync(_deployment.Keys.EventWaiters(name))).Select(m => (string)m!)];

    private Task<List<string>> WaitForWaiterAsync(string name, string member) =>
        Eventually.WaitForAsync(() => WaitersAsync(name), w => w.Contains(member), Within, $"{member} to register as a waiter");

    private static string NewId(string hint) => string.Create(CultureInfo.InvariantCulture, $"{hint}-{Guid.NewGuid():N}");
}
