using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// An idle worker that found the queue empty waits for a handoff: the next enqueued job is leased to it by the
/// enqueue itself and announced on the wake channel, so the worker starts it without a claim (queue_enqueue.lua).
/// These tests take the two-step submit (write, then enqueue), as on a Redis Cluster; on a single Redis a lone
/// submit goes further (<see cref="Starting_a_job_in_its_submit"/>).
/// </summary>
[TestFixture]
public sealed class Handing_a_job_to_an_idle_worker
{
    private static readonly JobOptions Options = new() { LeaseDuration = TimeSpan.FromMinutes(1) };
    private StoreHarness _store = null!;
    private ChannelMessageQueue _wake = null!;

    [SetUp]
    public async Task Listen_to_the_wake_channel()
    {
        _store = new StoreHarness(TestRedis.NewPrefix("handoff"), Options, TimeProvider.System, redisOptions: new RedisOptions { CombineSlots = false });
        _wake = await _store.Redis.GetSubscriber().SubscribeAsync(_store.Keys.WakeChannel);
    }

    [TearDown]
    public Task Stop_listening() => _wake.UnsubscribeAsync();

    [Test]
    public async Task Should_lease_the_next_job_to_the_waiting_worker_and_start_it_without_a_claim()
    {
        await _store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        var job = new JobRef("handoff", "h-1");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "1"));

        var message = await NextWakeAsync();
        var started = await _store.StartHandedOffAsync("idle-1", job);
        var snapshot = await _store.GetAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Is.EqualTo($"h\nidle-1\n{job.Member}"));
            Assert.That(await _store.ReadyCountAsync(), Is.Zero, "a handed-off job does not go onto the ready queue");
            Assert.That(await _store.Redis.GetDatabase().SortedSetScoreAsync(_store.Keys.Inflight, job.Member), Is.Not.Null, "the enqueue leased it");
            Assert.That(started.Select(j => (j.Job, j.Attempt)), Is.EqualTo(new[] { (job, 1) }));
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Processing));
            Assert.That(await _store.Redis.GetDatabase().SortedSetLengthAsync(_store.Keys.Default.Idle(StoreHarness.Offer.Signature)), Is.Zero, "a handoff ends the wait");
        }
    }

    [Test]
    public async Task Should_hand_over_one_job_per_wait_and_queue_the_rest()
    {
        await _store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        await _store.SubmitAsync(StoreHarness.Command("handoff", "first"));
        Assert.That(await NextWakeAsync(), Does.StartWith("h\nidle-1\n"));

        await _store.SubmitAsync(StoreHarness.Command("handoff", "second"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await NextWakeAsync(), Is.EqualTo("1\necho"), "the second job wakes the workers of its lane to claim it");
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(1));
            Assert.That((await _store.ClaimAsync("w", 10)).Select(j => j.Job.JobId), Is.EqualTo((string[])["second"]));
        }
    }

    [Test]
    public async Task Should_not_hand_over_to_a_wait_that_has_lapsed_or_ended()
    {
        await _store.WaitForHandoffAsync("gone", TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);
        await _store.SubmitAsync(StoreHarness.Command("handoff", "after-lapse"));
        Assert.That(await NextWakeAsync(), Is.EqualTo("1\necho"));

        await _store.WaitForHandoffAsync("stopping", TimeSpan.FromSeconds(30));
        await _store.WaitForHandoffAsync("stopping", TimeSpan.Zero);
        await _store.SubmitAsync(StoreHarness.Command("handoff", "after-stop"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(2), "both jobs wait on the ready queue");
            Assert.That(await _store.InflightCountAsync(), Is.Zero, "nothing was leased to a worker that is not waiting");
        }
    }

    [Test]
    public async Task Should_let_a_claim_that_empties_the_queue_wait_and_a_busy_claim_stop_waiting()
    {
        await _store.SubmitAsync(StoreHarness.Command("handoff", "queued"));
        var batch = await _store.ClaimBatchAsync("claimer", 10, TimeSpan.FromSeconds(30));
        Assert.That(batch.QueueDrained, Is.True);
        Assert.That(await _store.Redis.GetDatabase().SortedSetScoreAsync(_store.Keys.Default.Idle(StoreHarness.Offer.Signature), "claimer"), Is.Not.Null);

        await _store.SubmitAsync(StoreHarness.Command("handoff", "next"));
        await _store.SubmitAsync(StoreHarness.Command("handoff", "queued-2"));
        await _store.WaitForHandoffAsync("claimer", TimeSpan.FromSeconds(30));
        await _store.ClaimBatchAsync("claimer", 10, TimeSpan.Zero);
        Assert.That(await _store.Redis.GetDatabase().SortedSetLengthAsync(_store.Keys.Default.Idle(StoreHarness.Offer.Signature)), Is.Zero, "a busy worker's claim ends its wait");
    }

    private async Task<string> NextWakeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return (string)(await _wake.ReadAsync(timeout.Token)).Message!;
    }
}

/// <summary>
/// On a single Redis, a lone submit of a new single job that finds an idle worker starts it for that worker in the
/// same script (job_submit.lua): state 2, attempt 1, leased to the worker, and sent on the worker's own channel with
/// everything the worker needs to run it, so no round trip comes between the submit and the function.
/// </summary>
[TestFixture]
public sealed class Starting_a_job_in_its_submit
{
    private static readonly JobOptions Options = new() { LeaseDuration = TimeSpan.FromMinutes(1) };
    private StoreHarness _store = null!;
    private ChannelMessageQueue _own = null!;
    private ChannelMessageQueue _wake = null!;

    [SetUp]
    public async Task Listen_as_worker_idle_1()
    {
        _store = new StoreHarness(TestRedis.NewPrefix("started"), Options, TimeProvider.System);
        _own = await _store.Redis.GetSubscriber().SubscribeAsync(_store.Keys.WorkerChannel("idle-1"));
        _wake = await _store.Redis.GetSubscriber().SubscribeAsync(_store.Keys.WakeChannel);
        Assert.That(await _store.ClaimAsync("warm-up", 1), Is.Empty, "the connection has learnt that this Redis is not a cluster");
    }

    [TearDown]
    public async Task Stop_listening()
    {
        await _own.UnsubscribeAsync();
        await _wake.UnsubscribeAsync();
    }

    [Test]
    public async Task Should_start_the_job_for_the_idle_worker_and_send_it_everything_to_run_it()
    {
        await _store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        var job = new JobRef("started", "s-1");
        // The submit's trace context (a request's activity in the API) goes with the job, and in the message.
        using var submit = new System.Diagnostics.Activity("submit").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();
        var outcome = await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, """{"n":"a\nb"}"""));
        submit.Stop();

        var message = await NextAsync(_own);
        var snapshot = await _store.GetAsync(job);
        var db = _store.Redis.GetDatabase();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Is.EqualTo($"{job.Member}\nend_job\necho\n{submit.Id}\n{{\"n\":\"a\\nb\"}}"));
            Assert.That((string?)await db.HashGetAsync(_store.Keys.Status(job), "tp"), Is.EqualTo(submit.Id), "the traceparent stored with the job");
            Assert.That((outcome.Snapshot!.State, outcome.Snapshot.Attempts, outcome.Snapshot.Worker), Is.EqualTo((JobState.Processing, 1, "idle-1")), "the submit's reply");
            Assert.That((snapshot!.State, snapshot.Attempts, snapshot.Worker), Is.EqualTo((JobState.Processing, 1, "idle-1")), "the stored job");
            Assert.That(await db.SortedSetScoreAsync(_store.Keys.Inflight, job.Member), Is.Not.Null, "leased to the worker");
            Assert.That(await _store.ReadyCountAsync(), Is.Zero, "not queued");
            Assert.That(await db.SortedSetLengthAsync(_store.Keys.Default.Idle(StoreHarness.Offer.Signature)), Is.Zero, "the handoff ends the wait");
        }

        // The worker records the outcome of attempt 1 like any claimed job's.
        Assert.That(await _store.CompleteAsync(new ClaimedJob(job, 1, "end_job", "echo", """{"n":"a\nb"}"""), "42"), Is.True);
        Assert.That((await _store.GetAsync(job))!.State, Is.EqualTo(JobState.DataAvailable));
    }

    [Test]
    public async Task Should_queue_the_next_job_once_the_worker_is_busy()
    {
        await _store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        await _store.SubmitAsync(StoreHarness.Command("started", "first"));
        Assert.That(await NextAsync(_own), Does.StartWith("started:first\n"));

        await _store.SubmitAsync(StoreHarness.Command("started", "second"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await NextAsync(_wake), Is.EqualTo("1\necho"), "the second job wakes the workers of its lane to claim it");
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_requeue_a_started_job_whose_worker_gives_it_back()
    {
        await _store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        var job = new JobRef("started", "given-back");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));
        await NextAsync(_own);

        // A worker that is shutting down when the job arrives releases it at once.
        await _store.Worker.ReleaseAsync([new ClaimedJob(job, 1, "end_job", "echo", "null")]);
        var claimed = await _store.ClaimAsync("other", 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Select(j => (j.Job, j.Attempt)), Is.EqualTo(new[] { (job, 2) }), "another worker takes it, as its second attempt");
            Assert.That((await _store.GetAsync(job))!.Worker, Is.EqualTo("other"));
        }
    }

    private static async Task<string> NextAsync(ChannelMessageQueue channel)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return (string)(await channel.ReadAsync(timeout.Token)).Message!;
    }
}
