using System.Collections.Concurrent;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Core.Storage;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExeSys.Tests.Store;

/// <summary>
/// The store's pub/sub messages reach workers and the API as typed events (<see cref="IJobNotifications"/>), read from
/// what the real scripts publish: a job handed to (or started for) one idle worker is that worker's alone, a stop
/// request reaches every worker, a watched job's end carries the finished job, and a disposed subscription hears
/// nothing more.
/// </summary>
[TestFixture]
public sealed class Receiving_notifications_as_typed_events
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Should_give_a_job_only_to_the_idle_worker_that_took_it()
    {
        var harness = new StoreHarness(TestRedis.NewPrefix("typed"), new JobOptions(), TimeProvider.System);
        var notifications = new RedisJobNotifications(harness.Redis, harness.Keys, NullLogger<RedisJobNotifications>.Instance);
        var idle = new ConcurrentQueue<WorkerNotification>();
        var other = new ConcurrentQueue<WorkerNotification>();
        await using var idleSubscription = await notifications.SubscribeWorkerAsync("idle-1", idle.Enqueue);
        await using var otherSubscription = await notifications.SubscribeWorkerAsync("other", other.Enqueue);

        var job = new JobRef("typed", "handed");
        await harness.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        await harness.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "1"));
        await Eventually.WaitForAsync(() => idle.Any(n => Delivers(n, job)), Timeout, "idle-1 to be given the job");

        // A stop request reaches every worker; once 'other' has heard it, it has heard the job's message too, if any.
        var runner = new JobRef("typed", "runner");
        await harness.SubmitAsync(StoreHarness.Command(runner.From, runner.JobId));
        Assert.That(await harness.Client.RequestStopAsync(runner), Is.EqualTo(StopOutcome.Requested));
        await Eventually.WaitForAsync(() => other.Contains(new WorkerNotification.StopRequested(runner)), Timeout, "'other' to hear the stop");
        await Eventually.WaitForAsync(() => idle.Contains(new WorkerNotification.StopRequested(runner)), Timeout, "idle-1 to hear the stop");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(idle.Count(n => Delivers(n, job)), Is.EqualTo(1), "the job reaches idle-1 once, handed off or started");
            Assert.That(other.Any(n => Delivers(n, job)), Is.False, "a handoff to another worker is not this worker's business");
        }
    }

    [Test]
    public async Task Should_announce_a_watched_job_with_its_outcome_until_disposed()
    {
        var harness = new StoreHarness(TestRedis.NewPrefix("typed"), new JobOptions(), TimeProvider.System);
        var notifications = new RedisJobNotifications(harness.Redis, harness.Keys, NullLogger<RedisJobNotifications>.Instance);
        var finished = new ConcurrentQueue<JobFinished>();
        var subscription = await notifications.SubscribeFinishedAsync(finished.Enqueue);

        var job = new JobRef("typed", "watched");
        await harness.Client.SubmitAsync(StoreHarness.Command(job.From, job.JobId, """{"n":1}"""), watch: true);
        var claimed = (await harness.ClaimAsync("worker", 1)).Single();
        Assert.That(await harness.CompleteAsync(claimed, """{"n":2}"""), Is.True);
        await Eventually.WaitForAsync(() => !finished.IsEmpty, Timeout, "the finished job to be announced");

        await subscription.DisposeAsync();
        var later = new JobRef("typed", "after-dispose");
        await harness.Client.SubmitAsync(StoreHarness.Command(later.From, later.JobId), watch: true);
        var claimedLater = (await harness.ClaimAsync("worker", 1)).Single();
        Assert.That(await harness.CompleteAsync(claimedLater, "1"), Is.True);
        var read = await harness.GetAsync(later);

        var announced = finished.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(announced.Job, Is.EqualTo(job));
            Assert.That(announced.Snapshot?.State, Is.EqualTo(JobState.DataAvailable));
            Assert.That(announced.Snapshot?.ResultJson, Is.EqualTo("""{"n":2}"""));
            Assert.That(read?.State, Is.EqualTo(JobState.DataAvailable), "the later job finished, unheard");
        }
    }

    private static bool Delivers(WorkerNotification notification, JobRef job) => notification switch
    {
        WorkerNotification.HandedOff handedOff => handedOff.Job == job,
        WorkerNotification.Started started => started.Job.Job == job,
        _ => false,
    };
}
