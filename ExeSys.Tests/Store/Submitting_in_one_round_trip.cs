using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// On a single Redis, a lone submit writes the job and enqueues it in one script (ExeSys:Redis:CombineSlots); with
/// the setting off it is two, one per hash slot, as on Redis Cluster. Counted on a Redis of the test's own, so no
/// other test's commands are in the count.
/// </summary>
[TestFixture]
public sealed class Submitting_in_one_round_trip
{
    [TestCase(true, 1)]
    [TestCase(false, 2)]
    public async Task Should_write_and_enqueue_a_lone_job_in_as_many_scripts_as_the_setting_says(bool combine, int scripts)
    {
        await using var server = await RedisServer.StartAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},allowAdmin=true");
        var harness = new StoreHarness(TestRedis.NewPrefix("oneround"), new JobOptions(), TimeProvider.System, redis, new RedisOptions { CombineSlots = combine });
        var store = harness.Client;
        await store.SubmitAsync(StoreHarness.Command("oneround", "warm"), watch: false); // loads the scripts

        var admin = redis.GetServer(server.Endpoint);
        await admin.ExecuteAsync("CONFIG", "RESETSTAT");
        var job = new JobRef("oneround", "counted");
        var outcome = await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId), watch: false);
        var stats = (string)(await admin.ExecuteAsync("INFO", "commandstats"))!;
        var queued = await redis.GetDatabase().SortedSetScoreAsync(harness.Keys.Default.Lane("echo"), job.Member);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcome.Status, Is.EqualTo(SubmitStatus.Created));
            Assert.That(queued, Is.Not.Null, "the job is on the ready queue");
            Assert.That(EvalshaCalls(stats), Is.EqualTo(scripts), stats);
        }
    }

    private static int EvalshaCalls(string commandStats)
    {
        var line = commandStats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
        return line is null ? 0 : int.Parse(line.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
