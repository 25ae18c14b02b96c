using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// An idle worker that found the queue empty waits for a handoff: the next enqueued job is leased to it by the
/// enqueue itself and announced on the wake channel, so the worker starts it without a claim (queue_enqueue.lua).
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
        _store = new StoreHarness(TestRedis.NewPrefix("handoff"), Options, TimeProvider.System);
        _wake = await _store.Redis.GetSubscriber().SubscribeAsync(_store.Keys.WakeChannel);
    }

    [TearDown]
    public Task Stop_listening() => _wake.UnsubscribeAsync();

    [Test]
    public async Task Should_lease_the_next_job_to_the_waiting_worker_and_start_it_without_a_claim()
    {
        await _store.Store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        var job = new JobRef("handoff", "h-1");
        await _store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "1"));

        var message = await NextWakeAsync();
        var started = await _store.Store.StartHandedOffAsync("idle-1", job);
        var snapshot = await _store.GetAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Is.EqualTo($"h\nidle-1\n{job.Member}"));
            Assert.That(await _store.ReadyCountAsync(), Is.Zero, "a handed-off job does not go onto the ready queue");
            Assert.That(await _store.Redis.GetDatabase().SortedSetScoreAsync(_store.Keys.Inflight, job.Member), Is.Not.Null, "the enqueue leased it");
            Assert.That(started.Select(j => (j.Job, j.Attempt)), Is.EqualTo(new[] { (job, 1) }));
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Processing));
            Assert.That(await _store.Redis.GetDatabase().SortedSetLengthAsync(_store.Keys.Idle), Is.Zero, "a handoff ends the wait");
        }
    }

    [Test]
    public async Task Should_hand_over_one_job_per_wait_and_queue_the_rest()
    {
        await _store.Store.WaitForHandoffAsync("idle-1", TimeSpan.FromSeconds(30));
        await _store.SubmitAsync(StoreHarness.Command("handoff", "first"));
        Assert.That(await NextWakeAsync(), Does.StartWith("h\nidle-1\n"));

        await _store.SubmitAsync(StoreHarness.Command("handoff", "second"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await NextWakeAsync(), Is.EqualTo("1"), "the second job wakes workers to claim it");
            Assert.That(await _store.ReadyCountAsync(), Is.EqualTo(1));
            Assert.That((await _store.ClaimAsync("w", 10)).Select(j => j.Job.JobId), Is.EqualTo((string[])["second"]));
        }
    }

    [Test]
    public async Task Should_not_hand_over_to_a_wait_that_has_lapsed_or_ended()
    {
        await _store.Store.WaitForHandoffAsync("gone", TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);
        await _store.SubmitAsync(StoreHarness.Command("handoff", "after-lapse"));
        Assert.That(await NextWakeAsync(), Is.EqualTo("1"));

        await _store.Store.WaitForHandoffAsync("stopping", TimeSpan.FromSeconds(30));
        await _store.Store.WaitForHandoffAsync("stopping", TimeSpan.Zero);
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
        var batch = await _store.Store.ClaimBatchAsync("claimer", 10, TimeSpan.FromSeconds(30));
        Assert.That(batch.QueueDrained, Is.True);
        Assert.That(await _store.Redis.GetDatabase().SortedSetScoreAsync(_store.Keys.Idle, "claimer"), Is.Not.Null);

        await _store.SubmitAsync(StoreHarness.Command("handoff", "next"));
        await _store.SubmitAsync(StoreHarness.Command("handoff", "queued-2"));
        await _store.Store.WaitForHandoffAsync("claimer", TimeSpan.FromSeconds(30));
        await _store.Store.ClaimBatchAsync("claimer", 10, TimeSpan.Zero);
        Assert.That(await _store.Redis.GetDatabase().SortedSetLengthAsync(_store.Keys.Idle), Is.Zero, "a busy worker's claim ends its wait");
    }

    private async Task<string> NextWakeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return (string)(await _wake.ReadAsync(timeout.Token)).Message!;
    }
}
