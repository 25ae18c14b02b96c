using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Queues;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// The building blocks of limits and concurrency keys (Scripts/_lanes.lua) against a real Redis: a limited job waits in
/// its lane, a claim takes only what the limits allow, a slot frees with the ack (and lets the next job start at once)
/// or with its lease, the rate limit is a sliding window, and jobs without limits never meet any of it. Every test
/// runs both ways a claim can go: starting the jobs in the claim's script (a single Redis) and in job_start.lua after
/// it (as on a cluster).
/// </summary>
[TestFixture(true)]
[TestFixture(false)]
public sealed class Holding_jobs_to_their_limits(bool combineSlots)
{
    private static readonly JobOptions Options = new() { LeaseDuration = TimeSpan.FromSeconds(30) };

    private static LimitsOptions Limits(string function, int? max = null, int? rate = null, TimeSpan? period = null) => new()
    {
        Functions = { [function] = new LimitOptions { MaxConcurrency = max, RatePerPeriod = rate, RatePeriod = period ?? TimeSpan.FromSeconds(1) } },
    };

    private async Task<StoreHarness> StoreAsync(LimitsOptions limits, JobOptions? options = null)
    {
        var store = new StoreHarness(TestRedis.NewPrefix("limits"), options ?? Options, TimeProvider.System,
            redisOptions: new RedisOptions { CombineSlots = combineSlots }, limits: limits);
        await store.Limits.PublishAsync();
        return store;
    }

    private static async Task SubmitAsync(StoreHarness store, string cmd, int count, string? key = null, int keyLimit = 1, string prefix = "j")
    {
        for (var i = 0; i < count; i++)
        {
            await store.SubmitAsync(StoreHarness.Command("limits", $"{prefix}{i}", cmd: cmd) with { ConcurrencyKey = key, ConcurrencyLimit = keyLimit });
        }
    }

    [Test]
    public async Task Should_start_no_more_jobs_of_a_limited_function_than_its_max_concurrency_and_the_next_when_one_ends()
    {
        var store = await StoreAsync(Limits("slow", max: 2));
        await SubmitAsync(store, "slow", 5);

        var first = await store.ClaimAsync("w1", 10);
        var second = await store.ClaimAsync("w2", 10);
        var readyWhileFull = await store.ReadyCountAsync();
        await store.CompleteAsync(first[0], "1");
        var afterOneEnded = await store.ClaimAsync("w2", 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Has.Count.EqualTo(2), "a claim takes only as many as the limit allows");
            Assert.That(second, Is.Empty, "a second worker gets none while both slots are held");
            Assert.That(readyWhileFull, Is.Zero, "the lane at its limit is parked, not on the ready queue, so no claim keeps meeting it");
            Assert.That(afterOneEnded, Has.Count.EqualTo(1), "the ack freed a slot and put the lane back");
            Assert.That((await store.GetAsync(new JobRef("limits", "j4")))!.State, Is.EqualTo(JobState.Start), "the rest wait, never failed");
        }
    }

    [Test]
    public async Task Should_count_every_waiting_limited_job_in_the_queues_depth_whether_its_lane_may_start_or_is_parked()
    {
        var store = await StoreAsync(Limits("slow", max: 1));
        var admin = new RedisQueueAdmin(store.Redis, store.Keys, store.Queue, store.Offers, new RedisClock(TimeProvider.System));
        await SubmitAsync(store, "slow", 4);
        await SubmitAsync(store, "echo", 2, prefix: "e");
        await SubmitAsync(store, "echo", 3, key: "incident-42", keyLimit: 1, prefix: "k");

        var offered = await admin.GetAsync(QueueKeys.DefaultName);
        var started = (await store.Worker.ClaimAsync("w1", new WorkerOffer([QueueKeys.DefaultName], ["slow"]), QueueKeys.DefaultName, 10)).Jobs;
        var parked = await admin.GetAsync(QueueKeys.DefaultName);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(offered!.Functions, Is.EqualTo(new SortedDictionary<string, long> { ["echo"] = 5, ["slow"] = 4 }), "a token in a function's lane is no job: its limited lane's jobs are");
            Assert.That(offered.Ready, Is.EqualTo(9));
            Assert.That(started.Select(j => j.Job.JobId), Is.EqualTo((string[])["j0"]));
            Assert.That(parked!.Functions, Is.EqualTo(new SortedDictionary<string, long> { ["echo"] = 5, ["slow"] = 3 }), "a parked lane's jobs still wait");
            Assert.That(parked.OldestWaitingMs, Is.Not.Null);
        }
    }

    [Test]
    public async Task Should_end_the_limited_jobs_nobody_offers_once_their_unserved_timeout_has_passed()
    {
        var store = new StoreHarness(TestRedis.NewPrefix("limits"), Options, TimeProvider.System,
            redisOptions: new RedisOptions { CombineSlots = combineSlots }, limits: Limits("render", max: 1),
            queues: new QueueOptions { UnservedTimeouts = new() { ["render"] = TimeSpan.FromMilliseconds(200) } });
        await store.Limits.PublishAsync();
        await store.AdvertiseAsync("echo-only", new WorkerOffer([QueueKeys.DefaultName], ["echo"]));
        await SubmitAsync(store, "render", 2);
        await SubmitAsync(store, "render", 1, key: "scene-7", prefix: "k");

        var ended = 0;
        await Eventually.WaitForAsync(async () => (ended += await store.Maintenance.FailUnservedAsync(100)) == 3, TimeSpan.FromSeconds(10), "the three unserved limited jobs to be ended");
        var admin = new RedisQueueAdmin(store.Redis, store.Keys, store.Queue, store.Offers, new RedisClock(TimeProvider.System));

        using (Assert.EnterMultipleScope())
        {
            foreach (var id in new[] { "j0", "j1", "k0" })
            {
                var job = await store.GetAsync(new JobRef("limits", id));
                Assert.That((job!.State, job.Error), Is.EqualTo((JobState.Error, "No live worker offers function 'render' (waited 200ms in queue 'default')")), id);
            }

            Assert.That((await admin.GetAsync(QueueKeys.DefaultName))!.Ready, Is.Zero, "no token or lane is left behind");
            Assert.That(await store.Redis.GetDatabase().SetLengthAsync(store.Keys.Default.LimitedLanes), Is.Zero);
        }
    }

    [Test]
    public async Task Should_wake_a_limited_job_that_waits_for_an_event_into_its_limited_lane()
    {
        var store = await StoreAsync(Limits("waiter", max: 1));
        await SubmitAsync(store, "waiter", 1);
        var claimed = (await store.ClaimAsync("w1", 1)).Single();
        var name = "go-" + store.Prefix;
        await store.Events.AwaitAsync(claimed.Job, name, null, timeoutMs: null);
        await store.Worker.DeferAsync(claimed, DateTimeOffset.UtcNow.AddHours(1));

        var delivered = await store.Events.PostAsync(name, "1");
        var db = store.Redis.GetDatabase();
        var inLimitedLane = await db.SortedSetScoreAsync(store.Keys.Default.LimitedLane("waiter||0"), claimed.Job.Member);
        var inPlainLane = await db.SortedSetScoreAsync(store.Keys.Default.Lane("waiter"), claimed.Job.Member);
        var again = await store.ClaimAsync("w2", 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(delivered, Is.EqualTo((JobRef[])[claimed.Job]));
            Assert.That(inLimitedLane, Is.Not.Null, "woken into its limited lane, where its limits are checked");
            Assert.That(inPlainLane, Is.Null, "not onto its function's lane, past its limits");
            Assert.That(again.Select(j => j.Job), Is.EqualTo((JobRef[])[claimed.Job]));
            Assert.That(await db.SortedSetLengthAsync(store.Keys.Default.LimitSlots("f:waiter")), Is.EqualTo(1), "it holds its slot again");
        }
    }

    [Test]
    public async Task Should_keep_jobs_without_limits_out_of_lanes_and_let_them_pass_a_full_lane()
    {
        var store = await StoreAsync(Limits("slow", max: 1));
        await SubmitAsync(store, "slow", 3);
        var limited = await store.ClaimAsync("w1", 10);
        await SubmitAsync(store, "echo", 2, prefix: "free");
        var db = store.Redis.GetDatabase();
        var ready = (await db.ReadyAsync(store.Keys.Default)).Select(m => (string)m.Element!).ToList();
        var free = await store.ClaimAsync("w2", 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(limited, Has.Count.EqualTo(1));
            Assert.That(ready, Is.EqualTo((string[])["limits:free0", "limits:free1"]), "jobs without limits are plain members of their function's lane, as before, and the full limited lane is parked");
            Assert.That(free.Select(j => j.Job.JobId), Is.EqualTo((string[])["free0", "free1"]), "a lane at its limit holds nothing up behind it");
            Assert.That(await db.SortedSetLengthAsync(store.Keys.Default.LimitedLane("slow||0")), Is.EqualTo(2), "the limited jobs wait in their lane");
        }
    }

    [Test]
    public async Task Should_never_start_a_limited_job_for_an_idle_worker_in_its_submit()
    {
        var store = await StoreAsync(Limits("slow", max: 5));
        var offer = new WorkerOffer([QueueKeys.DefaultName], [.. StoreHarness.Functions, "slow"]);
        await store.WaitForHandoffAsync("idle", TimeSpan.FromSeconds(30), offer);
        var outcome = await store.SubmitAsync(StoreHarness.Command("limits", "lone", cmd: "slow"));
        var db = store.Redis.GetDatabase();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcome.Snapshot!.State, Is.EqualTo(JobState.Start), "a limited job starts only through a claim, where its limits are checked");
            Assert.That(await db.SortedSetLengthAsync(store.Keys.Default.Idle(offer.Signature)), Is.EqualTo(1), "the idle worker, which offers the function, still waits");
            Assert.That(await db.HashGetAsync(store.Keys.Status(new JobRef("limits", "lone")), "ln"), Is.EqualTo((RedisValue)"slow||0"));
            Assert.That((await store.ClaimAsync("idle", 10)).Select(j => j.Job.JobId), Is.EqualTo((string[])["lone"]));
        }
    }

    [Test]
    public async Task Should_run_at_most_N_jobs_with_one_concurrency_key_and_others_freely()
    {
        var store = await StoreAsync(new LimitsOptions());
        await SubmitAsync(store, "echo", 3, key: "incident-42", prefix: "a");
        await SubmitAsync(store, "echo", 3, key: "incident-43", keyLimit: 2, prefix: "b");
        var claimed = await store.ClaimAsync("w1", 10);
        var more = await store.ClaimAsync("w2", 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Count(j => j.Job.JobId.StartsWith('a')), Is.EqualTo(1), "concurrency_limit defaults to 1");
            Assert.That(claimed.Count(j => j.Job.JobId.StartsWith('b')), Is.EqualTo(2), "concurrency_limit 2");
            Assert.That(more, Is.Empty);
        }
    }

    [Test]
    public async Task Should_hold_a_rate_limit_as_a_sliding_window_and_say_when_the_lane_may_start_again()
    {
        var store = await StoreAsync(Limits("paced", rate: 3, period: TimeSpan.FromMilliseconds(800)));
        await SubmitAsync(store, "paced", 7);
        var first = await store.ClaimBatchAsync("w1", 10);
        var blocked = await store.ClaimBatchAsync("w1", 10);
        Assert.That(first.LanesParkedUntil, Is.Not.Null, "the claim parked the lane and says until when");
        var starts = first.Jobs.Select(j => j.Job).ToList();
        await Eventually.WaitForAsync(async () =>
        {
            var batch = await store.ClaimBatchAsync("w1", 10);
            starts.AddRange(batch.Jobs.Select(j => j.Job));
            return starts.Count >= 6;
        }, TimeSpan.FromSeconds(10), "the next window to open");
        var db = store.Redis.GetDatabase();
        var startedAt = new List<long>();
        foreach (var job in starts)
        {
            startedAt.Add((long)await db.HashGetAsync(store.Keys.Status(job), "sa"));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Jobs, Has.Count.EqualTo(3));
            Assert.That(blocked.Jobs, Is.Empty, "the window is full");
            Assert.That(starts, Has.Count.EqualTo(6), "three more once the window slid on, not four");
            Assert.That(startedAt[3] - startedAt[0], Is.GreaterThanOrEqualTo(800), "no four starts within one period");
        }
    }

    [Test]
    public async Task Should_give_back_the_slot_of_a_worker_that_never_acks_when_its_lease_runs_out()
    {
        var store = await StoreAsync(Limits("slow", max: 1), new JobOptions { LeaseDuration = TimeSpan.FromSeconds(1) });
        await SubmitAsync(store, "slow", 2);
        var crashed = await store.ClaimAsync("doomed", 10);
        var whileHeld = await store.ClaimAsync("rescuer", 10);

        // The controller's tick puts a lane whose time has come back on the ready queue (queue_due.lua).
        var rescued = new List<ClaimedJob>();
        await Eventually.WaitForAsync(async () =>
        {
            await store.Maintenance.PromoteDueRetriesAsync(10);
            rescued.AddRange(await store.ClaimAsync("rescuer", 10));
            return rescued.Count > 0;
        }, TimeSpan.FromSeconds(10), "the held slot to come back with its lease");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(crashed, Has.Count.EqualTo(1));
            Assert.That(whileHeld, Is.Empty);
            Assert.That(rescued.Select(j => j.Job.JobId), Is.EqualTo((string[])["j1"]), "the waiting job runs once the slot's lease ran out");
        }
    }

    [Test]
    public async Task Should_extend_a_held_slot_with_its_lease()
    {
        var store = await StoreAsync(Limits("slow", max: 1), new JobOptions { LeaseDuration = TimeSpan.FromSeconds(1) });
        await SubmitAsync(store, "slow", 2);
        var running = await store.ClaimAsync("w1", 10);
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(400);
            Assert.That(await store.Worker.RenewLeasesAsync([running[0].Job]), Is.Empty);
        }

        await store.Maintenance.PromoteDueRetriesAsync(10);
        Assert.That(await store.ClaimAsync("w2", 10), Is.Empty, "a renewed slot still counts after its first lease would have run out");
    }

    [Test]
    public async Task Should_keep_a_retried_or_released_job_in_its_lane()
    {
        var store = await StoreAsync(Limits("slow", max: 1));
        await SubmitAsync(store, "slow", 2);
        var first = (await store.ClaimAsync("w1", 10)).Single();
        await store.Worker.FailAsync(first, "try again", retryAt: DateTimeOffset.UtcNow.AddMilliseconds(-1));
        var db = store.Redis.GetDatabase();
        var scheduled = (await db.SortedSetRangeByRankAsync(store.Keys.Scheduled)).Select(m => (string)m!).ToList();
        var scheduledAs = (string?)await db.HashGetAsync(store.Keys.Default.ScheduledFunctions, "limits:j0");
        await store.Maintenance.PromoteDueRetriesAsync(10);
        var next = (await store.ClaimAsync("w1", 10)).Single();
        await store.Worker.ReleaseAsync([next]);
        var lane = (await db.SortedSetRangeByRankAsync(store.Keys.Default.LimitedLane("slow||0"))).Select(m => (string)m!).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(scheduled, Is.EqualTo((string[])["limits:j0"]));
            Assert.That(scheduledAs, Is.EqualTo("~slow||0"), "the retry waits to go back into its limited lane");
            Assert.That(lane, Is.EquivalentTo((string[])["limits:j0", "limits:j1"]), "the retried and the released job are back in their lane");
            Assert.That(await db.SortedSetLengthAsync(store.Keys.Default.LimitSlots("f:slow")), Is.Zero, "the release freed the slot");
            Assert.That(await db.ReadyCountAsync(store.Keys.Default), Is.EqualTo(1), "the limited lane's token is in its function's lane");
        }
    }

    [Test]
    public async Task Should_publish_the_limits_once_and_name_each_difference()
    {
        var store = await StoreAsync(Limits("slow", max: 3, rate: 50));
        var again = await store.Limits.PublishAsync();
        var held = await store.Limits.ReadAsync();
        var other = new StoreHarness(store.Prefix, Options, TimeProvider.System, limits: Limits("slow", max: 4));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.False, "publishing the same limits changes nothing");
            Assert.That(held, Is.EqualTo(new Dictionary<string, string> { ["f:slow"] = "3|50|1000" }));
            Assert.That(other.Limits.Differences(held), Is.EqualTo((string[])["f:slow: here 4|0|0, in Redis 3|50|1000"]));
        }
    }
}
