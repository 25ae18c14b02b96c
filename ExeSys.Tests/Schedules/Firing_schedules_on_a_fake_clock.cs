using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ExeSys.Tests.Schedules;

/// <summary>
/// The controller's schedule pass (<see cref="ScheduleFiring"/>) on the real Redis with a fake clock, so days go by in
/// a few calls: DST days in Europe/Rome, controllers away for ten minutes (misfires), and runs that overlap.
/// </summary>
[TestFixture]
public sealed class Firing_schedules_on_a_fake_clock
{
    private static ScheduleDefinition Daily(string name, string cron, string zone, long anchor) =>
        new(name, cron, null, zone, null, null, anchor, 0, OverlapPolicy.AllowAll, MisfirePolicy.Skip, 60_000, 1,
            new ScheduledCommand("sched", "end_job", "echo", "null", null, "normal"), null);

    private static ScheduleDefinition EveryMinute(string name, long anchor, OverlapPolicy overlap = OverlapPolicy.AllowAll, MisfirePolicy misfire = MisfirePolicy.Skip, int maxCatchUp = 1) =>
        new(name, null, 60_000, "UTC", null, null, anchor, 0, overlap, misfire, 60_000, maxCatchUp,
            new ScheduledCommand("sched", "end_job", "echo", "null", null, "normal"), null);

    private static async Task<(StoreHarness Store, FakeTimeProvider Clock)> StartAsync(DateTimeOffset now, ScheduleDefinition definition)
    {
        var clock = new FakeTimeProvider(now);
        var store = new StoreHarness(TestRedis.NewPrefix("sched"), new JobOptions(), clock);
        var saved = await store.Schedules.SaveAsync(definition, create: true, ScheduleTimes.Next(definition, now.ToUnixTimeMilliseconds()), paused: false);
        Assert.That(saved, Is.EqualTo(ScheduleSaveOutcome.Saved));
        return (store, clock);
    }

    /// <summary>Every job the schedule's firings created, by job_id (a scan of the test's prefix: fine in a test).</summary>
    private static async Task<List<string>> JobsAsync(StoreHarness store, string name)
    {
        var server = store.Redis.GetServer(store.Redis.GetEndPoints()[0]);
        var ids = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: $"{store.Prefix}:sched:{{{name}.*}}:status"))
        {
            var k = (string)key!;
            ids.Add(k[(k.IndexOf('{', StringComparison.Ordinal) + 1)..k.IndexOf('}', StringComparison.Ordinal)]);
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Moves the clock in steps, running a controller pass (twice: a second pass must change nothing) at each.</summary>
    private static async Task RunThroughAsync(StoreHarness store, FakeTimeProvider clock, DateTimeOffset until, TimeSpan step)
    {
        while (clock.GetUtcNow() < until)
        {
            clock.Advance(step);
            await store.ScheduleFiring.RunOnceAsync(TimeSpan.FromSeconds(1));
            await store.ScheduleFiring.RunOnceAsync(TimeSpan.FromSeconds(1));
        }
    }

    [Test]
    public async Task Should_fire_a_daily_0230_job_once_on_the_spring_forward_day_of_Europe_Rome_at_0300()
    {
        // 2026-03-29: at 02:00 CET the clocks go to 03:00 CEST, so 02:30 does not exist that day.
        var start = new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero);
        var (store, clock) = await StartAsync(start, Daily("rome-spring", "30 2 * * *", "Europe/Rome", start.ToUnixTimeMilliseconds()));

        await RunThroughAsync(store, clock, new DateTimeOffset(2026, 3, 30, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30));

        Assert.That(await JobsAsync(store, "rome-spring"), Is.EqualTo((string[])
        [
            "rome-spring.20260328T013000Z", // 02:30 CET (UTC+1)
            "rome-spring.20260329T010000Z", // 02:30 is skipped by the clocks: Cronos fires at 03:00 CEST, the first instant after the gap
            "rome-spring.20260330T003000Z", // 02:30 CEST (UTC+2)
        ]));
    }

    [Test]
    public async Task Should_fire_a_daily_0230_job_once_on_the_fall_back_day_of_Europe_Rome()
    {
        // 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET, so 02:30 happens twice; Cronos fires at the first.
        var start = new DateTimeOffset(2026, 10, 23, 12, 0, 0, TimeSpan.Zero);
        var (store, clock) = await StartAsync(start, Daily("rome-fall", "30 2 * * *", "Europe/Rome", start.ToUnixTimeMilliseconds()));

        await RunThroughAsync(store, clock, new DateTimeOffset(2026, 10, 26, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(30));

        Assert.That(await JobsAsync(store, "rome-fall"), Is.EqualTo((string[])
        [
            "rome-fall.20261024T003000Z", // 02:30 CEST (UTC+2)
            "rome-fall.20261025T003000Z", // the first 02:30 (CEST); the second (CET, 01:30Z) does not fire
            "rome-fall.20261026T013000Z", // 02:30 CET (UTC+1)
        ]));
    }

    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// An every-minute schedule (catch-up window 1 minute) whose controllers were away from 10:00:01 to 10:10:30: the
    /// fire times 10:01 .. 10:09 are misfires, 10:10 is within the window and fires late.
    /// </summary>
    private static async Task<List<string>> AfterTenMinutesAwayAsync(string name, MisfirePolicy misfire, int maxCatchUp)
    {
        var (store, clock) = await StartAsync(T0.AddSeconds(1), EveryMinute(name, T0.ToUnixTimeMilliseconds(), misfire: misfire, maxCatchUp: maxCatchUp));
        clock.Advance(TimeSpan.FromSeconds(629));
        await store.ScheduleFiring.RunOnceAsync(TimeSpan.FromSeconds(1));
        await store.ScheduleFiring.RunOnceAsync(TimeSpan.FromSeconds(1));
        var next = (await store.Schedules.GetAsync(name))!.NextMs;
        Assert.That(next, Is.EqualTo(T0.AddMinutes(11).ToUnixTimeMilliseconds()), "the schedule carries on at 10:11");
        return [.. (await JobsAsync(store, name)).Select(id => id[(name.Length + 1)..])];
    }

    [Test]
    public async Task Should_drop_misfires_with_the_skip_policy_and_fire_the_one_within_the_catch_up_window() =>
        Assert.That(await AfterTenMinutesAwayAsync("mf-skip", MisfirePolicy.Skip, 1), Is.EqualTo((string[])["20260601T101000Z"]));

    [Test]
    public async Task Should_fire_the_latest_misfire_once_with_the_fire_once_policy() =>
        Assert.That(await AfterTenMinutesAwayAsync("mf-once", MisfirePolicy.FireOnce, 1), Is.EqualTo((string[])["20260601T100900Z", "20260601T101000Z"]));

    [Test]
    public async Task Should_fire_the_latest_max_catch_up_misfires_with_the_fire_all_policy() =>
        Assert.That(await AfterTenMinutesAwayAsync("mf-all", MisfirePolicy.FireAll, 3),
            Is.EqualTo((string[])["20260601T100700Z", "20260601T100800Z", "20260601T100900Z", "20260601T101000Z"]));

    /// <summary>Three fire times, 10:01, 10:02, 10:03, while the first run never ends (no worker takes it), then one more once it has.</summary>
    private static async Task<(List<ScheduleRun> Runs, List<string> Jobs)> OverlapAsync(string name, OverlapPolicy overlap, bool finishFirst = false)
    {
        var (store, clock) = await StartAsync(T0.AddSeconds(1), EveryMinute(name, T0.ToUnixTimeMilliseconds(), overlap));
        await RunThroughAsync(store, clock, T0.AddSeconds(181), TimeSpan.FromSeconds(30));
        if (finishFirst)
        {
            await store.AdvertiseAsync("w1");
            var claimed = await Eventually.WaitForAsync(() => store.ClaimAsync("w1", 10), c => c.Count > 0, TimeSpan.FromSeconds(10), "the first run to be claimed");
            Assert.That(await store.CompleteAsync(claimed[0], "1"), Is.True);
            await RunThroughAsync(store, clock, T0.AddSeconds(191), TimeSpan.FromSeconds(5));
        }

        var runs = (await store.Schedules.GetAsync(name))!.Runs.Reverse().ToList();
        return (runs, [.. (await JobsAsync(store, name)).Select(id => id[(name.Length + 1)..])]);
    }

    [Test]
    public async Task Should_skip_firings_while_the_previous_run_has_not_ended_with_the_skip_policy()
    {
        var (runs, jobs) = await OverlapAsync("ov-skip", OverlapPolicy.Skip);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(jobs, Is.EqualTo((string[])["20260601T100100Z"]));
            Assert.That(runs.Select(r => r.Outcome), Is.EqualTo((string[])["started", "skipped", "skipped"]));
        }
    }

    [Test]
    public async Task Should_start_every_firing_with_the_allow_all_policy()
    {
        var (runs, jobs) = await OverlapAsync("ov-all", OverlapPolicy.AllowAll);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(jobs, Is.EqualTo((string[])["20260601T100100Z", "20260601T100200Z", "20260601T100300Z"]));
            Assert.That(runs.Select(r => r.Outcome), Is.EqualTo((string[])["started", "started", "started"]));
        }
    }

    [Test]
    public async Task Should_hold_one_firing_until_the_previous_run_ends_with_the_buffer_one_policy()
    {
        var (runs, jobs) = await OverlapAsync("ov-buf", OverlapPolicy.BufferOne, finishFirst: true);
        using (Assert.EnterMultipleScope())
        {
            // 10:02 waits for 10:01 to end, 10:03 is skipped (one is buffered already); 10:02 starts once 10:01 has ended.
            Assert.That(jobs, Is.EqualTo((string[])["20260601T100100Z", "20260601T100200Z"]));
            Assert.That(runs.Select(r => (DateTimeOffset.FromUnixTimeMilliseconds(r.FireMs).Minute, r.Outcome)),
                Is.EqualTo(((int, string)[])[(1, "started"), (3, "skipped"), (2, "started")]));
        }
    }

    [Test]
    public async Task Should_cancel_the_previous_workflow_run_and_start_the_new_one_with_the_cancel_previous_policy()
    {
        var clock = new FakeTimeProvider(T0.AddSeconds(1));
        var store = new StoreHarness(TestRedis.NewPrefix("sched"), new JobOptions(), clock);
        await new ExeSys.Core.Redis.RedisWorkflowDefinitions(store.Redis, store.Keys).SaveAsync(
            "two-steps", """{"nodes":{"a":{"cmd":"echo","next":["b"]},"b":{"cmd":"echo","next":["end_job"]}}}""", 10);
        var definition = EveryMinute("wf-cancel", T0.ToUnixTimeMilliseconds(), OverlapPolicy.CancelPrevious) with
        {
            Command = null,
            Workflow = new ScheduledWorkflow("etl", "two-steps", """{"full":true}""", "normal"),
        };
        Assert.That(await store.Schedules.SaveAsync(definition, create: true, ScheduleTimes.Next(definition, clock.GetUtcNow().ToUnixTimeMilliseconds()), paused: false),
            Is.EqualTo(ScheduleSaveOutcome.Saved));

        // 10:01 and 10:02 fire; no worker runs the nodes, so the 10:01 run is still running when 10:02 comes.
        await RunThroughAsync(store, clock, T0.AddSeconds(121), TimeSpan.FromSeconds(30));

        var first = await store.Workflows.GetAsync(new JobRef("etl", "wf-cancel.20260601T100100Z"));
        var second = await store.Workflows.GetAsync(new JobRef("etl", "wf-cancel.20260601T100200Z"));
        var runs = (await store.Schedules.GetAsync("wf-cancel"))!.Runs;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first?.Phase, Is.EqualTo("cancelled"));
            Assert.That(second?.Phase, Is.EqualTo("running"));
            Assert.That(runs.Select(r => r.Outcome), Is.EqualTo((string[])["started", "started"]));
        }
    }
}
