using System.Threading.Channels;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ExeSys.Tests.Store;

/// <summary>
/// A lease that expires is a failed attempt: its worker crashed, froze or was cut off, and a job whose function kills
/// every worker that runs it (a poison pill) must not be re-queued forever. The controller's recovery (job_release.lua)
/// re-queues the job while attempts remain, with the loss in its errors, and at the last attempt ends it in state 4 the
/// way a failed attempt ends (job_finish.lua): long-pollers are told, the step chain fails, the archive gets it. A
/// worker's graceful release is no failure. And a renewal never revives a lease that has expired: it tells the worker.
/// </summary>
[TestFixture]
public sealed class Losing_a_lease
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(500);

    private StoreHarness _store = null!;

    [SetUp]
    public void Create_a_store_with_a_short_lease_and_three_attempts() =>
        _store = new StoreHarness(TestRedis.NewPrefix("lost"), Options(), TimeProvider.System);

    private static JobOptions Options() => new() { LeaseDuration = Lease, MaxAttempts = 3 };

    private static string Lost(string worker, int attempt) => $"worker {worker} was lost at attempt {attempt} (its lease expired)";

    /// <summary>Claims the job as <paramref name="worker"/> and lets its lease expire and be recovered, as the controller does.</summary>
    private async Task<ClaimedJob> Lose_a_claim(string worker, StoreHarness? store = null)
    {
        store ??= _store;
        var claimed = (await store.ClaimAsync(worker, 1)).Single();
        await Eventually.WaitForAsync(async () => await store.Maintenance.RecoverExpiredLeasesAsync(10) == 1, TimeSpan.FromSeconds(10), "the lease to expire and be recovered");
        return claimed;
    }

    [Test]
    public async Task Should_requeue_the_job_with_the_loss_in_its_errors_while_attempts_remain()
    {
        var job = new JobRef("lost", "requeued");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));

        await Lose_a_claim("w-1");
        var afterOne = await _store.GetAsync(job);
        await Lose_a_claim("w-2");
        var afterTwo = await _store.GetAsync(job);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterOne!.State, Is.EqualTo(JobState.Start));
            Assert.That(afterOne.Error, Is.EqualTo(Lost("w-1", 1)));
            Assert.That(afterOne.Errors, Is.EqualTo(new[] { Lost("w-1", 1) }));
            Assert.That(afterTwo!.State, Is.EqualTo(JobState.Start));
            Assert.That(afterTwo.Attempts, Is.EqualTo(2));
            Assert.That(afterTwo.Error, Is.EqualTo(Lost("w-2", 2)));
            Assert.That(afterTwo.Errors, Is.EqualTo(new[] { Lost("w-1", 1), Lost("w-2", 2) }));
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(1), "back on the queue");
        }
    }

    [Test]
    public async Task Should_fail_the_job_after_max_attempts_lost_and_tell_its_long_poller()
    {
        var job = new JobRef("lost", "poison");
        var messages = Channel.CreateUnbounded<string>();
        var subscription = await TestRedis.Connection.GetSubscriber().SubscribeAsync(_store.Keys.DoneChannel);
        subscription.OnMessage(m => messages.Writer.TryWrite(m.Message!));
        try
        {
            await _store.Client.SubmitAsync(StoreHarness.Command(job.From, job.JobId), watch: true);
            foreach (var worker in new[] { "w-1", "w-2", "w-3" })
            {
                await Lose_a_claim(worker);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var (announcedJob, announced) = RedisReplies.ReadDoneMessage(await messages.Reader.ReadAsync(timeout.Token));
            var final = await _store.GetAsync(job);
            var last = Lost("w-3", 3) + "; its worker was lost 3 times, and no attempts remain";

            using (Assert.EnterMultipleScope())
            {
                Assert.That(final!.State, Is.EqualTo(JobState.Error));
                Assert.That(final.Attempts, Is.EqualTo(3));
                Assert.That(final.Error, Is.EqualTo(last));
                Assert.That(final.Errors, Is.EqualTo(new[] { Lost("w-1", 1), Lost("w-2", 2), last }));
                Assert.That(announcedJob, Is.EqualTo(job), "the long-poller is told");
                Assert.That(announced!.State, Is.EqualTo(JobState.Error));
                Assert.That(announced.Error, Is.EqualTo(last));
                Assert.That(await _store.ReadyCountAsync(), Is.Zero, "not queued again");
                Assert.That(await _store.InflightCountAsync(), Is.Zero, "no lease left");
                Assert.That(await _store.Redis.GetDatabase().KeyTimeToLiveAsync(_store.Keys.Status(job)), Is.Not.Null, "it expires as an ended job does");
            }
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }
    }

    [Test]
    public async Task Should_not_count_a_graceful_release_as_a_failed_attempt()
    {
        // Two attempts may fail. Three graceful releases first (a rolling restart of the fleet, say): the job's next
        // lost lease is its first failure, not its fourth attempt over the cap.
        _store = new StoreHarness(_store.Prefix, new JobOptions { LeaseDuration = Lease, MaxAttempts = 2 }, TimeProvider.System);
        var job = new JobRef("lost", "released");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));
        for (var i = 1; i <= 3; i++)
        {
            var claimed = (await _store.ClaimAsync($"leaving-{i}", 1)).Single();
            await _store.Worker.ReleaseAsync([claimed]);
        }

        var released = await _store.GetAsync(job);
        await Lose_a_claim("w-4");
        var afterLoss = await _store.GetAsync(job);
        await Lose_a_claim("w-5");
        var final = await _store.GetAsync(job);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(released!.State, Is.EqualTo(JobState.Start));
            Assert.That(released.Attempts, Is.EqualTo(3), "every start counts, so the attempt number still fences");
            Assert.That(released.Errors, Is.Null, "a release is no failure");
            Assert.That(afterLoss!.State, Is.EqualTo(JobState.Start), "one failure of two: queued again");
            Assert.That(afterLoss.Errors, Is.EqualTo(new[] { Lost("w-4", 4) }));
            Assert.That(final!.State, Is.EqualTo(JobState.Error), "the second failure was the last");
            Assert.That(final.Error, Does.EndWith("its worker was lost 2 times, and no attempts remain"));
            Assert.That(final.Errors, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task Should_fail_the_rest_of_the_step_chain_when_a_step_fails_by_losing_its_workers()
    {
        // The original step protocol: step 'second' waits for step 'first' of the same job_id.
        _store = new StoreHarness(_store.Prefix, new JobOptions { LeaseDuration = Lease, MaxAttempts = 1 }, TimeProvider.System);
        await _store.SubmitAsync(new JobCommand(new JobRef("first", "chain"), "second", "echo", "null", JobPriority.Normal));
        await _store.SubmitAsync(new JobCommand(new JobRef("second", "chain"), "end_job", "echo", "null", JobPriority.Normal, IsWorkflowStep: true));
        var waiting = await _store.GetAsync(new JobRef("second", "chain"));

        await Lose_a_claim("w-1");
        var first = await _store.GetAsync(new JobRef("first", "chain"));
        var second = await _store.GetAsync(new JobRef("second", "chain"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting!.State, Is.EqualTo(JobState.Standby), "the second step waits for the first");
            Assert.That(first!.State, Is.EqualTo(JobState.Error));
            Assert.That(first.Error, Is.EqualTo(Lost("w-1", 1) + "; its worker was lost 1 time, and no attempts remain"));
            Assert.That(second!.State, Is.EqualTo(JobState.Error), "a failed step fails the rest of its chain");
            Assert.That(second.Error, Does.StartWith("step first failed: worker w-1 was lost at attempt 1"));
            Assert.That(await _store.ReadyCountAsync(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_put_the_failed_job_on_the_archive_backlog_when_history_is_on()
    {
        var options = new JobOptions { LeaseDuration = Lease, MaxAttempts = 1 };
        _store = new StoreHarness(_store.Prefix, options, TimeProvider.System);
        var retention = new RetentionPolicy(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(new MongoOptions { ConnectionString = "mongodb://127.0.0.1:9" }));
        var clock = new RedisClock(TimeProvider.System);
        var queue = new RedisQueueSlot(_store.Redis, _store.Keys, Microsoft.Extensions.Options.Options.Create(options), retention, clock, _store.Offers, _store.Routing);
        var maintenance = new RedisStoreMaintenance(_store.Redis, _store.Keys, queue, new RedisLeaseRelease(_store.Redis, _store.Keys, queue, retention, clock, _store.Lanes),
            retention, clock, _store.Routing, _store.Lanes, _store.Offers, NullLogger<RedisStoreMaintenance>.Instance);
        var job = new JobRef("lost", "archived");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));
        await _store.ClaimAsync("w-1", 1);

        await Eventually.WaitForAsync(async () => await maintenance.RecoverExpiredLeasesAsync(10) == 1, TimeSpan.FromSeconds(10), "the lease to expire and be recovered");
        var final = await _store.GetAsync(job);
        var db = _store.Redis.GetDatabase();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(final!.State, Is.EqualTo(JobState.Error));
            Assert.That(await db.SortedSetScoreAsync(_store.Keys.ArchiveBacklog, job.Member), Is.Not.Null, "waiting to be archived");
            Assert.That(await db.KeyTimeToLiveAsync(_store.Keys.Status(job)), Is.Null, "kept until archived");
            Assert.That(await _store.InflightCountAsync(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_not_revive_an_expired_lease_and_should_report_it_lost()
    {
        var live = new JobRef("lost", "renewed");
        var expired = new JobRef("lost", "expired");
        await _store.SubmitAsync(StoreHarness.Command(expired.From, expired.JobId));
        await _store.ClaimAsync("w-1", 1);
        await Task.Delay(Lease * 2);
        await _store.SubmitAsync(StoreHarness.Command(live.From, live.JobId));
        await _store.ClaimAsync("w-1", 1);

        // The controller has not taken the expired lease back yet, but the renewal must not extend it.
        var lost = await _store.Worker.RenewLeasesAsync([live, expired, new JobRef("lost", "never-claimed")]);
        var recovered = await _store.Maintenance.RecoverExpiredLeasesAsync(10);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lost, Is.EquivalentTo(new[] { expired, new JobRef("lost", "never-claimed") }));
            Assert.That(recovered, Is.EqualTo(1), "the expired lease stayed expired, for the controller to take back");
            Assert.That((await _store.GetAsync(expired))!.State, Is.EqualTo(JobState.Start));
            Assert.That((await _store.GetAsync(live))!.State, Is.EqualTo(JobState.Processing));
        }
    }

    [Test]
    public async Task Should_renew_more_leases_than_one_lua_unpack_can_pass()
    {
        // Worker:Concurrency may be 10,000: far past the ~8,000 values Lua's unpack hands to one command.
        var jobs = Enumerable.Range(0, 10_000).Select(i => new JobRef("lost", $"many-{i}")).ToList();

        var lost = await _store.Worker.RenewLeasesAsync(jobs);

        Assert.That(lost, Has.Count.EqualTo(jobs.Count), "none of them is leased, so every one is reported lost");
    }
}
