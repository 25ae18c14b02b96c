using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Store;

/// <summary>
/// The lanes of a queue (queue_claim.lua, enqueue_or_hand_off and take_idle_worker in _common.lua, queue_control.lua,
/// queue_unserved.lua) on a real Redis: a claim, a handoff and a direct start each give a job only to a worker that
/// offers its function, priorities hold across lanes, a paused queue starts nothing, a job handed back is not a
/// failed attempt, and the unserved timeout ends a job nobody can run.
/// </summary>
[TestFixture]
public sealed class Claiming_only_what_a_worker_offers
{
    private static readonly JobOptions Options = new() { LeaseDuration = TimeSpan.FromMinutes(1) };
    private static readonly WorkerOffer EchoOnly = new([QueueKeys.DefaultName], ["echo"]);
    private static readonly WorkerOffer SleepOnly = new([QueueKeys.DefaultName], ["sleep"]);

    private static StoreHarness NewStore(bool combine = true, QueueOptions? queues = null) =>
        new(TestRedis.NewPrefix("lanes"), Options, TimeProvider.System, redisOptions: new RedisOptions { CombineSlots = combine }, queues: queues);

    private static async Task<List<string>> ClaimAsync(StoreHarness store, string worker, WorkerOffer offer, int max = 10) =>
        [.. (await store.Worker.ClaimAsync(worker, offer, QueueKeys.DefaultName, max)).Jobs.Select(j => j.Job.JobId)];

    [Test]
    public async Task Should_claim_only_the_jobs_of_the_functions_the_worker_offers()
    {
        var store = NewStore();
        await store.SubmitAsync(StoreHarness.Command("lanes", "e-1", cmd: "echo"));
        await store.SubmitAsync(StoreHarness.Command("lanes", "s-1", "10", cmd: "sleep"));
        await store.SubmitAsync(StoreHarness.Command("lanes", "e-2", cmd: "echo"));

        var sleeper = await ClaimAsync(store, "sleeper", SleepOnly);
        var echoer = await ClaimAsync(store, "echoer", EchoOnly);
        var none = await ClaimAsync(store, "late", EchoOnly);
        var lanes = await store.Redis.GetDatabase().SortedSetLengthAsync(store.Keys.Default.Lanes);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sleeper, Is.EqualTo((string[])["s-1"]));
            Assert.That(echoer, Is.EqualTo((string[])["e-1", "e-2"]));
            Assert.That(none, Is.Empty);
            Assert.That(lanes, Is.Zero, "drained lanes leave the index");
        }
    }

    [Test]
    public async Task Should_keep_priorities_across_the_lanes_a_worker_offers()
    {
        var store = NewStore();
        var both = new WorkerOffer([QueueKeys.DefaultName], ["echo", "sleep"]);
        await store.SubmitAsync(StoreHarness.Command("lanes", "normal-echo", cmd: "echo"));
        await store.SubmitAsync(StoreHarness.Command("lanes", "high-sleep", "10", JobPriority.High, cmd: "sleep"));
        await store.SubmitAsync(StoreHarness.Command("lanes", "low-echo", priority: JobPriority.Low, cmd: "echo"));

        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            order.AddRange(await ClaimAsync(store, "both", both, max: 1));
        }

        Assert.That(order, Is.EqualTo((string[])["high-sleep", "normal-echo", "low-echo"]));
    }

    [Test]
    public async Task Should_start_a_submit_only_for_an_idle_worker_that_offers_its_function()
    {
        var store = NewStore(combine: true);
        await store.WaitForHandoffAsync("echo-idle", TimeSpan.FromSeconds(30), EchoOnly);

        var sleep = await store.SubmitAsync(StoreHarness.Command("lanes", "not-for-echo", "10", cmd: "sleep"));
        var echo = await store.SubmitAsync(StoreHarness.Command("lanes", "for-echo", cmd: "echo"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sleep.Snapshot!.State, Is.EqualTo(JobState.Start), "no idle worker offers sleep: it waits on its lane");
            Assert.That(echo.Snapshot!.State, Is.EqualTo(JobState.Processing), "the idle echo worker started it");
            Assert.That((await store.GetAsync(new JobRef("lanes", "for-echo")))!.Worker, Is.EqualTo("echo-idle"));
            Assert.That(await store.Redis.GetDatabase().SortedSetLengthAsync(store.Keys.Default.Lane("sleep")), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_hand_an_enqueued_job_only_to_an_idle_worker_that_offers_its_function()
    {
        var store = NewStore(combine: false);
        await store.WaitForHandoffAsync("echo-idle", TimeSpan.FromSeconds(30), EchoOnly);

        await store.SubmitAsync(StoreHarness.Command("lanes", "not-handed", "10", cmd: "sleep"));
        var idleAfterSleep = await store.Redis.GetDatabase().SortedSetLengthAsync(store.Keys.Default.Idle(EchoOnly.Signature));
        await store.SubmitAsync(StoreHarness.Command("lanes", "handed", cmd: "echo"));
        var idleAfterEcho = await store.Redis.GetDatabase().SortedSetLengthAsync(store.Keys.Default.Idle(EchoOnly.Signature));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(idleAfterSleep, Is.EqualTo(1), "the echo worker still waits");
            Assert.That(await store.Redis.GetDatabase().SortedSetScoreAsync(store.Keys.Inflight, "lanes:handed"), Is.Not.Null, "leased to the echo worker");
            Assert.That(idleAfterEcho, Is.Zero);
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(1), "only the sleep job waits");
        }
    }

    [Test]
    public async Task Should_start_nothing_from_a_paused_queue_until_it_resumes()
    {
        var store = NewStore(combine: true);
        var admin = new RedisQueueAdmin(store.Redis, store.Keys, store.Queue, store.Offers, new RedisClock(TimeProvider.System));
        var paused = await admin.SetPausedAsync(QueueKeys.DefaultName, true);
        await store.WaitForHandoffAsync("echo-idle", TimeSpan.FromSeconds(30), EchoOnly);

        var submitted = await store.SubmitAsync(StoreHarness.Command("lanes", "held", cmd: "echo"));
        var whilePaused = await ClaimAsync(store, "claimer", EchoOnly);
        var shown = await admin.GetAsync(QueueKeys.DefaultName);
        var resumed = await admin.SetPausedAsync(QueueKeys.DefaultName, false);
        var afterResume = await ClaimAsync(store, "claimer", EchoOnly);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused, Is.True);
            Assert.That(submitted.Snapshot!.State, Is.EqualTo(JobState.Start), "no direct start from a paused queue");
            Assert.That(await store.Redis.GetDatabase().SortedSetScoreAsync(store.Keys.Default.Idle(EchoOnly.Signature), "echo-idle"), Is.Not.Null, "the idle worker still waits");
            Assert.That(whilePaused, Is.Empty, "no claim from a paused queue");
            Assert.That(shown!.Paused, Is.True);
            Assert.That(shown.Ready, Is.EqualTo(1));
            Assert.That(shown.Functions["echo"], Is.EqualTo(1));
            Assert.That(resumed, Is.True);
            Assert.That(afterResume, Is.EqualTo((string[])["held"]));
            Assert.That(await admin.SetPausedAsync("nowhere", true), Is.Null, "an unknown queue");
        }
    }

    [Test]
    public async Task Should_hand_nothing_to_workers_that_waited_before_the_pause_or_began_waiting_during_it([Values] bool combine)
    {
        var store = NewStore(combine);
        var admin = new RedisQueueAdmin(store.Redis, store.Keys, store.Queue, store.Offers, new RedisClock(TimeProvider.System));
        await store.AdvertiseAsync("before", EchoOnly);
        await store.AdvertiseAsync("during", SleepOnly);
        var before = await ClaimAsync(store, "before", EchoOnly);
        await store.Worker.ClaimAsync("before", EchoOnly, QueueKeys.DefaultName, 10, TimeSpan.FromSeconds(30));
        await admin.SetPausedAsync(QueueKeys.DefaultName, true);
        await store.Worker.ClaimAsync("during", SleepOnly, QueueKeys.DefaultName, 10, TimeSpan.FromSeconds(30));

        var echo = await store.SubmitAsync(StoreHarness.Command("lanes", "echo-held", cmd: "echo"));
        var sleep = await store.SubmitAsync(StoreHarness.Command("lanes", "sleep-held", "10", cmd: "sleep"));
        var inflightWhilePaused = await store.InflightCountAsync();
        await admin.SetPausedAsync(QueueKeys.DefaultName, false);
        var echoAfter = await ClaimAsync(store, "before", EchoOnly);
        var sleepAfter = await ClaimAsync(store, "during", SleepOnly);
        var db = store.Redis.GetDatabase();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.Empty);
            Assert.That((echo.Snapshot!.State, sleep.Snapshot!.State), Is.EqualTo((JobState.Start, JobState.Start)), "no handoff or direct start while paused");
            Assert.That(inflightWhilePaused, Is.Zero, "nothing was leased while paused");
            Assert.That(echoAfter, Is.EqualTo((string[])["echo-held"]));
            Assert.That(sleepAfter, Is.EqualTo((string[])["sleep-held"]));
            Assert.That(await db.SortedSetScoreAsync(store.Keys.Default.Idle(EchoOnly.Signature), QueueKeys.PausedMarker), Is.Null, "resume removes the marker");
            Assert.That(await db.SortedSetScoreAsync(store.Keys.Default.Lanes, QueueKeys.PausedMarker), Is.Null);
        }
    }

    [Test]
    public async Task Should_give_back_the_attempt_of_a_job_its_worker_could_not_run()
    {
        var store = NewStore();
        await store.SubmitAsync(StoreHarness.Command("lanes", "unrun", cmd: "echo"));
        var first = (await store.Worker.ClaimAsync("w-1", EchoOnly, QueueKeys.DefaultName, 1)).Jobs.Single();

        await store.Worker.ReturnUnrunAsync(first);
        var back = await store.GetAsync(first.Job);
        var again = (await store.Worker.ClaimAsync("w-2", EchoOnly, QueueKeys.DefaultName, 1)).Jobs.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Attempt, Is.EqualTo(1));
            Assert.That(back!.State, Is.EqualTo(JobState.Start));
            Assert.That(back.Attempts, Is.Zero, "handing back is not a failed attempt");
            Assert.That(back.Error, Is.Null);
            Assert.That(again.Attempt, Is.EqualTo(1), "the next worker runs it as its first attempt");
        }
    }

    [Test]
    public async Task Should_end_a_job_nobody_offers_once_its_unserved_timeout_has_passed()
    {
        var store = NewStore(queues: new QueueOptions { UnservedTimeouts = new() { ["render"] = TimeSpan.FromMilliseconds(200) } });
        await store.AdvertiseAsync("echo-only", EchoOnly);
        await store.SubmitAsync(StoreHarness.Command("lanes", "render-1", cmd: "render"));
        await store.SubmitAsync(StoreHarness.Command("lanes", "served", cmd: "echo"));

        await Eventually.WaitForAsync(async () => await store.Maintenance.FailUnservedAsync(100) == 1, TimeSpan.FromSeconds(10), "the unserved job to be ended");
        var failed = await store.GetAsync(new JobRef("lanes", "render-1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed!.State, Is.EqualTo(JobState.Error));
            Assert.That(failed.Error, Is.EqualTo("No live worker offers function 'render' (waited 200ms in queue 'default')"));
            Assert.That(await store.InflightCountAsync(), Is.Zero, "its lease entry is gone");
            Assert.That((await store.GetAsync(new JobRef("lanes", "served")))!.State, Is.EqualTo(JobState.Start), "a job a live worker offers keeps waiting");
        }
    }
}
