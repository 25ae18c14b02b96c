using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Bounds;

/// <summary>
/// An event's waiters hash used to keep every waiter whose job never got a matching event (timed out, cancelled, gone)
/// forever, and each post read them all. Now a waiter counts until its job's next look plus one interval
/// (ExeSys:Jobs:EventRecheck); a post checks the late ones in their jobs' slots (a bounded number per post) and removes
/// those whose job no longer waits, and the hash's TTL follows its longest-lived waiter. The store's own verbs run here on a real Redis: a job's look and a post.
/// </summary>
[TestFixture]
public sealed class Posting_to_waiters_that_stopped_looking
{
    private const int Stale = 500;
    private const string OrderOne = """{"path":"order","equals":1}""";

    [Test]
    public async Task Should_drop_the_waiters_whose_jobs_stopped_looking_and_still_deliver_to_a_live_one()
    {
        var store = new StoreHarness(TestRedis.NewPrefix("stale"), new JobOptions { EventRecheck = TimeSpan.FromMilliseconds(300) }, TimeProvider.System);
        var name = "order-" + Guid.NewGuid().ToString("N");
        var stale = Enumerable.Range(0, Stale).Select(i => new JobRef("abandoned", $"job-{i}")).ToList();
        var live = new JobRef("a-patient", "job");
        // Still waiting, but it looks no more (a paused run's node, a controller away): late, yet kept.
        var held = new JobRef("a-held", "job");
        // Both are queued first (and sort before "abandoned" should two enqueue times tie), so the one claim takes
        // them: they run their look (state 2), as wait_event does. The abandoned jobs never started (state 0).
        await store.SubmitAsync(StoreHarness.Command(held.From, held.JobId, cmd: "wait_event"));
        await store.SubmitAsync(StoreHarness.Command(live.From, live.JobId, cmd: "wait_event"));
        await Task.WhenAll(stale.Select(j => store.SubmitAsync(StoreHarness.Command(j.From, j.JobId, cmd: "wait_event"))));
        Assert.That((await store.ClaimAsync("patient-worker", 2)).Select(j => j.Job), Is.EquivalentTo(new[] { held, live }));
        var looks = await Task.WhenAll(stale.Append(held).Select(j => store.Events.AwaitAsync(j, name, OrderOne, timeoutMs: null)));
        var db = store.Redis.GetDatabase();
        var registered = await db.HashLengthAsync(store.Keys.EventWaiters(name));

        // The stale jobs never look again (as if cancelled or gone); the live one keeps looking, which keeps the hash.
        // After 750 ms the stale ones are past their next look (300 ms) and the grace (300 ms).
        for (var look = 0; look < 4; look++)
        {
            await store.Events.AwaitAsync(live, name, OrderOne, timeoutMs: null);
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        // Each post checks at most LateChecksPerPost late waiters in their jobs' slots, so two posts clear all 500.
        var nonMatching = await store.Events.PostAsync(name, """{"order":2}""");
        var afterOne = await db.HashLengthAsync(store.Keys.EventWaiters(name));
        var nonMatchingAgain = await store.Events.PostAsync(name, """{"order":3}""");
        var left = await db.HashKeysAsync(store.Keys.EventWaiters(name));
        var ttl = await db.KeyTimeToLiveAsync(store.Keys.EventWaiters(name));
        var matching = await store.Events.PostAsync(name, """{"order":1}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(looks.Select(l => (l.Event, l.TimedOut)), Has.All.EqualTo(((ExeSys.Core.Events.PostedEvent?)null, false)), "every job registered and waits");
            Assert.That(registered, Is.EqualTo(Stale + 1));
            Assert.That(nonMatching, Is.Empty);
            Assert.That(nonMatchingAgain, Is.Empty);
            // The held waiter is late too: when it is among the ones a post checks (Redis's hash order varies from one
            // redis-server to the next), that post removes one stale waiter fewer.
            Assert.That(afterOne, Is.InRange(2 + Stale - RedisEventStore.LateChecksPerPost, 3 + Stale - RedisEventStore.LateChecksPerPost), "one post removes a bounded number of late waiters");
            Assert.That(left.Select(m => (string)m!), Is.EquivalentTo(new[] { live.Member, held.Member }), "only the waiters whose job still waits are kept");
            Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMilliseconds(600)), "the hash expires with its last waiter");
            Assert.That(matching, Is.EquivalentTo(new[] { live, held }), "both still get their event");
        }
    }

    [Test]
    public async Task Should_remove_the_waiter_of_a_look_past_its_timeout()
    {
        var store = new StoreHarness(TestRedis.NewPrefix("timeout"), new JobOptions { EventRecheck = TimeSpan.FromSeconds(1) }, TimeProvider.System);
        var name = "late-" + Guid.NewGuid().ToString("N");
        var job = new JobRef("impatient", "job");
        await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, cmd: "wait_event"));

        var first = await store.Events.AwaitAsync(job, name, null, timeoutMs: 100);
        var registered = await store.Redis.GetDatabase().HashExistsAsync(store.Keys.EventWaiters(name), job.Member);
        await Task.Delay(TimeSpan.FromMilliseconds(150));
        var second = await store.Events.AwaitAsync(job, name, null, timeoutMs: 100);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((first.TimedOut, registered), Is.EqualTo((false, true)));
            Assert.That(first.LookAgainAt - DateTimeOffset.UtcNow, Is.LessThanOrEqualTo(TimeSpan.FromMilliseconds(100)), "the first look defers until the timeout, not past it");
            Assert.That(second.TimedOut, Is.True, "the timeout counts from the first look");
            Assert.That(await store.Redis.GetDatabase().HashExistsAsync(store.Keys.EventWaiters(name), job.Member), Is.False, "the timed-out look removed its waiter");
        }
    }
}
