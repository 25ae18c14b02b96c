using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Bounds;

/// <summary>
/// A latch's keys are bounded: its holders sorted set lives as long as its longest hold (a holder that never releases
/// lapses after its hold time), its waiters sorted set as long as its longest-lived waiter (its job's next look plus one
/// ExeSys:Jobs:LatchRecheck), and a latch at zero with no waiters is no key at all. The store's own verbs on a real
/// Redis: acquire, release and a countdown's look by a claimed job.
/// </summary>
[TestFixture]
public sealed class Bounding_a_latch
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(2);

    [Test]
    public async Task Should_forget_a_hold_that_lapsed_and_the_latch_with_it()
    {
        var store = NewStore("lapse");
        var latch = NewName();
        var db = store.Redis.GetDatabase();

        var lasting = await store.Latches.AcquireAsync(latch, "lasting", TimeSpan.FromMinutes(5));
        var brief = await store.Latches.AcquireAsync(latch, "brief", TimeSpan.FromMilliseconds(300));
        var ttl = await db.KeyTimeToLiveAsync(store.Keys.LatchHolders(latch));
        var released = await store.Latches.ReleaseAsync(latch, "lasting");
        var lapsed = await Eventually.WaitForAsync(
            () => db.KeyExistsAsync(store.Keys.LatchHolders(latch)), exists => !exists, TimeSpan.FromSeconds(10), "the last hold to lapse");
        var afterwards = await store.Latches.AcquireAsync(latch, "next", TimeSpan.FromMinutes(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((lasting.Count, brief.Count), Is.EqualTo((1L, 2L)));
            Assert.That(ttl, Is.GreaterThan(TimeSpan.FromMinutes(4)).And.LessThanOrEqualTo(TimeSpan.FromMinutes(5)), "the key lives as long as its longest hold");
            Assert.That(released.Count, Is.EqualTo(1), "the brief hold still counts");
            Assert.That(lapsed, Is.False);
            Assert.That(afterwards.Count, Is.EqualTo(1), "a lapsed hold no longer counts");
        }
    }

    [Test]
    public async Task Should_keep_a_waiter_only_until_its_next_look_and_a_grace()
    {
        var store = NewStore("waiter");
        var latch = NewName();
        var db = store.Redis.GetDatabase();
        await store.Latches.AcquireAsync(latch, "holder", TimeSpan.FromMinutes(5));
        var job = await ClaimCountdownAsync(store);

        var look = await store.Latches.CountdownAsync(job.Job, latch);
        var ttl = await db.KeyTimeToLiveAsync(store.Keys.LatchWaiters(latch));
        var until = await db.SortedSetScoreAsync(store.Keys.LatchWaiters(latch), job.Job.Member);
        var lookAgainMs = look.LookAgainAt.ToUnixTimeMilliseconds();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((look.AtZero, look.Count), Is.EqualTo((false, 1L)));
            // The look's two scripts (the job's slot, then the latch's) each read Redis's clock, a few ms apart at most.
            Assert.That(until, Is.InRange(lookAgainMs + Recheck.TotalMilliseconds, lookAgainMs + Recheck.TotalMilliseconds + 1000), "it counts until its next look plus one recheck");
            Assert.That(ttl, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(2 * Recheck), "the key lives as long as its longest-lived waiter");
        }
    }

    [Test]
    public async Task Should_make_a_countdown_due_at_once_when_the_zero_comes_while_it_looks_and_leave_no_key()
    {
        var store = NewStore("during");
        var latch = NewName();
        var db = store.Redis.GetDatabase();
        await store.Latches.AcquireAsync(latch, "holder", TimeSpan.FromMinutes(5));
        var job = await ClaimCountdownAsync(store);

        // The look registers, then the release reaches zero before the look has deferred the job (state 2 still).
        var look = await store.Latches.CountdownAsync(job.Job, latch);
        var released = await store.Latches.ReleaseAsync(latch, "holder");
        var keysAfterRelease = (await db.KeyExistsAsync(store.Keys.LatchHolders(latch)), await db.KeyExistsAsync(store.Keys.LatchWaiters(latch)));
        await store.Worker.DeferAsync(job, look.LookAgainAt);
        var due = await db.SortedSetScoreAsync(store.Keys.Scheduled, job.Job.Member);

        // Acquired again before the job runs its next look: the zero it was told of still counts.
        await store.Latches.AcquireAsync(latch, "another", TimeSpan.FromMinutes(5));
        var next = await store.Latches.CountdownAsync(job.Job, latch);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(look.AtZero, Is.False);
            Assert.That((released.Count, released.Removed, released.Woken), Is.EqualTo((0L, true, new[] { job.Job })));
            Assert.That(keysAfterRelease, Is.EqualTo((false, false)), "a latch at zero with no waiters is no key");
            Assert.That(due, Is.LessThan(look.LookAgainAt.ToUnixTimeMilliseconds()), "due at once, not at its next look");
            Assert.That(next.AtZero, Is.True);
        }
    }

    private static StoreHarness NewStore(string name) =>
        new(TestRedis.NewPrefix(name), new JobOptions { LatchRecheck = Recheck }, TimeProvider.System);

    private static string NewName() => "latch-" + Guid.NewGuid().ToString("N");

    /// <summary>A wait_countdown job, claimed (state 2), as one is while it runs its look.</summary>
    private static async Task<ClaimedJob> ClaimCountdownAsync(StoreHarness store)
    {
        var job = new JobRef("counter", Guid.NewGuid().ToString("N"));
        await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, cmd: "wait_countdown"));
        return (await store.ClaimAsync("latch-worker", 1)).Single();
    }
}
