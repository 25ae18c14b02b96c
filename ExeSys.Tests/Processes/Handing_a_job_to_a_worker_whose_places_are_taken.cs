using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Processes;

/// <summary>
/// A worker with one place, busy, listed idle by a stale registration (an empty claim that ran in Redis just after a
/// handoff took the worker off the list): the next submit starts its job for that worker, which must give it back
/// unrun rather than run two jobs at once. The stale listing is made here by hand, in the worker's own idle set, on a
/// real redis-server with the real pipeline and worker.
/// </summary>
[TestFixture]
public sealed class Handing_a_job_to_a_worker_whose_places_are_taken : ApiFixture
{
    private const string From = "one-place";

    protected override TestSettings Configure(TestSettings settings) => settings.With("ExeSys:Worker:Concurrency", "1");

    [Test]
    public async Task Should_give_the_job_back_unrun_and_start_it_only_once_the_place_is_free()
    {
        var db = TestRedis.Connection.GetDatabase();
        var keys = new RedisKeys(Env.Prefix);
        var queue = keys.Queue("default");
        var busy = new JobRef(From, "busy-" + Guid.NewGuid().ToString("N")[..8]);
        var next = new JobRef(From, "next-" + Guid.NewGuid().ToString("N")[..8]);

        await PostAsync(SysCmdHttp.Command(From, busy.JobId, "sleep", "2500"));
        await Eventually.WaitForAsync(() => GetAsync($"/jobs/{From}/{busy.JobId}"), r => r.State == 2, TimeSpan.FromSeconds(10), "the sleep to start");
        var worker = (string)(await db.HashGetAsync(keys.Status(busy), "wk"))!;
        var signatures = await db.SetMembersAsync(queue.IdleSignatures);
        Assert.That(signatures, Is.Not.Empty, "the worker recorded its offer signature at its first claim");
        var until = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds();
        foreach (var signature in signatures)
        {
            await db.SortedSetAddAsync(queue.Idle((string)signature!), worker, until);
        }

        await PostAsync(SysCmdHttp.Command(From, next.JobId, "echo", "1"));
        var done = await Eventually.WaitForAsync(() => GetAsync($"/jobs/{From}/{next.JobId}"), r => r.State == 3, TimeSpan.FromSeconds(20), "the handed job to finish");

        await WaitUntilFinishedAsync(From, busy.JobId);
        var busyEnd = (long)await db.HashGetAsync(keys.Status(busy), "ft");
        var nextStart = (long)await db.HashGetAsync(keys.Status(next), "sa");
        Assert.Multiple(() =>
        {
            Assert.That(nextStart, Is.GreaterThanOrEqualTo(busyEnd), "the one place was taken until the sleep ended: the handed job waited for it");
            Assert.That(done.Attempts, Is.EqualTo(1), "the attempt of the start it gave back is given back too");
        });
    }
}
