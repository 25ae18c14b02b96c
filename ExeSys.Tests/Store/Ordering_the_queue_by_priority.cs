using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExeSys.Tests.Store;

/// <summary>
/// The ready queue's score is the enqueue time moved ahead (high) or back (low) by PriorityAging. A fake clock
/// drives enqueue times, so the order is exact and no test waits for real time.
/// </summary>
[TestFixture]
public sealed class Ordering_the_queue_by_priority
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] OldLowThenNewHigh = ["old-low", "new-high"];

    private static (StoreHarness Store, FakeTimeProvider Clock) NewStore(TimeSpan aging)
    {
        var clock = new FakeTimeProvider(Start);
        return (new StoreHarness(TestRedis.NewPrefix("prio"), new JobOptions { PriorityAging = aging }, clock), clock);
    }

    private static async Task<List<ClaimedJob>> ClaimOneByOneAsync(StoreHarness store)
    {
        var order = new List<ClaimedJob>();
        while ((await store.ClaimAsync("worker", 1)) is [var job])
        {
            order.Add(job);
        }

        return order;
    }

    [Test]
    public async Task Should_claim_high_before_normal_before_low_and_first_come_first_served_within_each()
    {
        var (store, clock) = NewStore(TimeSpan.FromHours(1));
        var random = new Random(1234);
        var submitted = Enumerable.Range(0, 60).Select(i => (Id: $"job-{i:D2}", Priority: (JobPriority)(i % 3)))
            .OrderBy(_ => random.Next()).ToList();
        foreach (var (id, priority) in submitted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await store.SubmitAsync(StoreHarness.Command("prio", id, priority: priority));
        }

        var claimed = (await ClaimOneByOneAsync(store)).Select(c => c.Job.JobId).ToList();

        var expected = submitted.Select((s, order) => (s.Id, s.Priority, order))
            .OrderBy(s => s.Priority).ThenBy(s => s.order).Select(s => s.Id).ToList();
        Assert.That(claimed, Is.EqualTo(expected));
    }

    [Test]
    public async Task Should_not_starve_a_low_job_behind_a_stream_of_high_jobs()
    {
        var aging = TimeSpan.FromMilliseconds(100);
        var step = TimeSpan.FromMilliseconds(20);
        var (store, clock) = NewStore(aging);
        await store.SubmitAsync(StoreHarness.Command("prio", "low-job", priority: JobPriority.Low));

        // A new high job arrives before every claim. The low one may wait at most 2 x PriorityAging behind them.
        var claimsBeforeLow = 0;
        for (var i = 0; i < 100; i++)
        {
            clock.Advance(step);
            await store.SubmitAsync(StoreHarness.Command("prio", $"high-{i}", priority: JobPriority.High));
            var job = (await store.ClaimAsync("worker", 1)).Single();
            if (job.Job.JobId == "low-job")
            {
                break;
            }

            claimsBeforeLow++;
        }

        var bound = (int)((2 * aging) / step);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimsBeforeLow, Is.LessThanOrEqualTo(bound), "the low job was starved");
            Assert.That(claimsBeforeLow, Is.GreaterThan(0), "high jobs should go ahead of a low job for a while");
        }
    }

    [Test]
    public async Task Should_let_a_long_waiting_low_job_go_before_a_fresh_high_job()
    {
        var aging = TimeSpan.FromMilliseconds(100);
        var (store, clock) = NewStore(aging);
        await store.SubmitAsync(StoreHarness.Command("prio", "old-low", priority: JobPriority.Low));
        clock.Advance(2 * aging + TimeSpan.FromMilliseconds(1));
        await store.SubmitAsync(StoreHarness.Command("prio", "new-high", priority: JobPriority.High));

        var claimed = await ClaimOneByOneAsync(store);

        Assert.That(claimed.Select(c => c.Job.JobId), Is.EqualTo(OldLowThenNewHigh));
    }

    [Test]
    public async Task Should_requeue_a_re_sent_job_whose_enqueue_was_lost()
    {
        var clock = new FakeTimeProvider(Start);
        var store = new StoreHarness(TestRedis.NewPrefix("stale"), new JobOptions(), clock);
        var command = StoreHarness.Command("healer", "cut-off");
        await store.SubmitAsync(command);
        await store.Redis.GetDatabase().KeyDeleteAsync([store.Keys.Default.Lane("echo"), store.Keys.Default.Lanes]); // the submit's second step never ran

        await store.SubmitAsync(command);
        var healed = await store.ReadyCountAsync();
        await store.SubmitAsync(command);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(healed, Is.EqualTo(1), "a re-sent job still in state 0 should be enqueued again");
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(1), "enqueueing again must be idempotent");
        }
    }
}
