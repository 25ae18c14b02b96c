using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// The job scripts go to Redis as EVALSHA by a hash computed once (RedisScript). A Redis that has lost its script
/// cache (a restart, a failover to a replica, SCRIPT FLUSH) answers NOSCRIPT, and the call is sent again as text.
/// </summary>
[TestFixture]
public sealed class Running_scripts_that_Redis_has_forgotten
{
    [Test]
    public async Task Should_send_the_text_once_and_run_every_step_after_SCRIPT_FLUSH()
    {
        // A server of its own: flushing the shared one's script cache would change what the other tests measure.
        await using var server = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},allowAdmin=true");
        var store = new StoreHarness(TestRedis.NewPrefix("noscript"), new JobOptions(), TimeProvider.System, redis);
        await store.SubmitAsync(StoreHarness.Command("noscript", "before"));
        await store.CompleteAsync((await store.ClaimAsync("w-1", 10)).Single(), "\"first\"");

        var admin = redis.GetServer(server.Endpoint);
        await admin.ScriptFlushAsync();
        var cachedAfterFlush = await admin.ScriptExistsAsync(LuaScripts.JobSubmit.Hash);
        var job = new JobRef("noscript", "after");
        var submitted = await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "2"));
        var claimed = await store.ClaimAsync("w-1", 10);
        var completed = await store.CompleteAsync(claimed.Single(), "\"second\"");
        var snapshot = await store.GetAsync(job);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cachedAfterFlush, Is.False, "SCRIPT FLUSH emptied the cache");
            Assert.That(submitted.Status, Is.EqualTo(SubmitStatus.Created));
            Assert.That(claimed.Select(c => c.Job), Is.EqualTo(new[] { job }));
            Assert.That(completed, Is.True);
            Assert.That(snapshot!.State, Is.EqualTo(JobState.DataAvailable));
            Assert.That(snapshot.ResultJson, Is.EqualTo("\"second\""));
            Assert.That(await admin.ScriptExistsAsync(LuaScripts.JobFinish.Hash), Is.True, "the text was sent and cached again");
        }
    }
}
