using System.Threading.Channels;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Store;

/// <summary>
/// A job someone long-polls is announced on the done channel when it finishes, with the finished job itself, so the
/// waiting request answers without reading it again. The announced job must equal what a read returns, all but its
/// input data, which the waiting request already has.
/// </summary>
[TestFixture]
public sealed class Announcing_a_finished_job
{
    [TestCase(true)]
    [TestCase(false)]
    public async Task Should_carry_the_same_job_a_read_returns(bool succeeds)
    {
        var harness = new StoreHarness(TestRedis.NewPrefix("done"), new JobOptions(), TimeProvider.System);
        var messages = Channel.CreateUnbounded<string>();
        var subscriber = TestRedis.Connection.GetSubscriber();
        var subscription = await subscriber.SubscribeAsync(new RedisKeys(harness.Prefix).DoneChannel);
        subscription.OnMessage(m => messages.Writer.TryWrite(m.Message!));
        try
        {
            var job = new JobRef("announcer", "job-1");
            await harness.Client.SubmitAsync(StoreHarness.Command(job.From, job.JobId, """{"n":1}"""), watch: true);
            var claimed = (await harness.ClaimAsync("worker", 1)).Single();
            var recorded = succeeds ? await harness.CompleteAsync(claimed, """{"sum":3}""") : await harness.FailAsync(claimed, "no luck");

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var (announcedJob, announced) = RedisReplies.ReadDoneMessage(await messages.Reader.ReadAsync(timeout.Token));
            var read = await harness.GetAsync(job);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(recorded, Is.True);
                Assert.That(announcedJob, Is.EqualTo(job));
                Assert.That(announced, Is.Not.Null, "the notification carries the job");
                Assert.That(announced!.State, Is.EqualTo(succeeds ? JobState.DataAvailable : JobState.Error));
                Assert.That(announced with { Errors = null, DataJson = read!.DataJson }, Is.EqualTo(read with { Errors = null }), "the same fields a read returns");
                Assert.That(announced.DataJson, Is.Empty, "the input data stays out of the notification");
                Assert.That(announced.Errors, Is.EqualTo(read.Errors));
            }
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }
    }
}
