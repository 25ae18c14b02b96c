using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Store;

/// <summary>
/// A worker whose lease expired (it froze, or lost its network) must not overwrite the result of the claim that
/// took over: the attempt number is a fencing token checked by job_finish.lua.
/// </summary>
[TestFixture]
public sealed class Fencing_a_stale_attempt
{
    private StoreHarness _store = null!;

    [SetUp]
    public void Create_a_store_with_a_one_second_lease() =>
        _store = new StoreHarness(TestRedis.NewPrefix("fence"), new JobOptions { LeaseDuration = TimeSpan.FromSeconds(1) }, TimeProvider.System);

    /// <summary>Claims a job with worker A and waits (on Redis's clock) until the controller's step takes it back.</summary>
    private async Task<ClaimedJob> Claim_and_let_the_lease_expire(JobRef job)
    {
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "\"input\""));
        var stale = (await _store.ClaimAsync("worker-a", 1)).Single();
        await Eventually.WaitForAsync(async () => await _store.Maintenance.RecoverExpiredLeasesAsync(10) == 1, TimeSpan.FromSeconds(10), "the lease to expire and be recovered");
        return stale;
    }

    [Test]
    public async Task Should_requeue_the_job_when_its_lease_expires()
    {
        var job = new JobRef("fencer", "requeued");
        var stale = await Claim_and_let_the_lease_expire(job);

        var snapshot = await _store.GetAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stale.Attempt, Is.EqualTo(1));
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Start));
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(1));
            Assert.That(await _store.InflightCountAsync(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_refuse_the_stale_result_before_another_claim()
    {
        var job = new JobRef("fencer", "before-reclaim");
        var stale = await Claim_and_let_the_lease_expire(job);

        var refused = await _store.CompleteAsync(stale, "\"stale\"");

        var snapshot = await _store.GetAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.False);
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Start));
            Assert.That(snapshot.ResultJson, Is.Null);
        }
    }

    [Test]
    public async Task Should_refuse_the_stale_result_and_let_the_second_claim_win()
    {
        var job = new JobRef("fencer", "second-wins");
        var stale = await Claim_and_let_the_lease_expire(job);
        var current = (await _store.ClaimAsync("worker-b", 1)).Single();

        var staleCompleted = await _store.CompleteAsync(stale, "\"stale\"");
        var staleFailed = await _store.FailAsync(stale, "stale failure");
        var whileRunning = await _store.GetAsync(job);
        var currentCompleted = await _store.CompleteAsync(current, "\"winner\"");
        var lateAfterEnd = await _store.CompleteAsync(stale, "\"stale again\"");
        var final = await _store.GetAsync(job);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(current.Attempt, Is.EqualTo(2));
            Assert.That(staleCompleted, Is.False, "the stale attempt's result was recorded");
            Assert.That(staleFailed, Is.False, "the stale attempt's failure was recorded");
            Assert.That(whileRunning!.State, Is.EqualTo(JobState.Processing));
            Assert.That(whileRunning.Worker, Is.EqualTo("worker-b"));
            Assert.That(currentCompleted, Is.True);
            Assert.That(lateAfterEnd, Is.False);
            Assert.That(final!.State, Is.EqualTo(JobState.DataAvailable));
            Assert.That(final.ResultJson, Is.EqualTo("\"winner\""));
            Assert.That(final.Attempts, Is.EqualTo(2));
            // The first attempt lost its lease: a failed attempt, whose error stays as a retried exception's does.
            Assert.That(final.Error, Is.EqualTo("worker worker-a was lost at attempt 1 (its lease expired)"));
            Assert.That(final.Errors, Has.Count.EqualTo(1).And.Contains(final.Error));
        }
    }

    [Test]
    public async Task Should_not_let_a_stale_release_take_the_job_from_the_second_claim()
    {
        var job = new JobRef("fencer", "stale-release");
        var stale = await Claim_and_let_the_lease_expire(job);
        var current = (await _store.ClaimAsync("worker-b", 1)).Single();

        await _store.Worker.ReleaseAsync([stale]);

        var snapshot = await _store.GetAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Processing));
            Assert.That(snapshot.Worker, Is.EqualTo("worker-b"));
            Assert.That(await _store.ReadyCountAsync(), Is.Zero, "the job was queued again while worker-b runs it");
            Assert.That(await _store.CompleteAsync(current, "1"), Is.True);
        }
    }

    [Test]
    public async Task Should_keep_a_renewed_lease()
    {
        _store = new StoreHarness(_store.Prefix, new JobOptions { LeaseDuration = TimeSpan.FromSeconds(2) }, TimeProvider.System);
        var job = new JobRef("fencer", "renewed");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));
        var claimed = (await _store.ClaimAsync("worker-a", 1)).Single();
        var renewals = 0;
        var expired = 0;

        // Renewing well within the lease (workers renew at a third of it), across two and a half lease lengths.
        var until = DateTimeOffset.UtcNow.AddSeconds(5);
        while (DateTimeOffset.UtcNow < until)
        {
            await _store.Worker.RenewLeasesAsync([job]);
            renewals++;
            expired += await _store.Maintenance.RecoverExpiredLeasesAsync(10);
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(expired, Is.Zero, $"the lease expired despite {renewals} renewals");
            Assert.That(await _store.CompleteAsync(claimed, "1"), Is.True);
        }
    }
}
