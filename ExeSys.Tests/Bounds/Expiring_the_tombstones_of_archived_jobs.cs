using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Bounds;

/// <summary>
/// With MongoDB history on, an archived job leaves a tombstone in Redis so a re-send is answered from the history. Under
/// the default HistoryTtl of 0 (history kept forever) the tombstone used to have no TTL: one key per job, forever.
/// Now it lasts ExeSys:Mongo:TombstoneTtl after the hot retention; then the same from/job_id is a new job again.
/// The archiver's Redis side runs for real here (read, mark archived); no MongoDB is contacted.
/// </summary>
[TestFixture]
public sealed class Expiring_the_tombstones_of_archived_jobs
{
    private static readonly JobOptions OneSecondRetention = new() { Retention = TimeSpan.FromSeconds(1) };

    [Test]
    public async Task Should_expire_a_tombstone_after_the_tombstone_ttl_when_the_history_is_kept_forever_and_then_run_a_re_send_again()
    {
        var store = Archiving(historyTtl: TimeSpan.Zero, tombstoneTtl: TimeSpan.FromSeconds(3));
        var job = new JobRef("tombs", "forever");
        await Archive_a_finished_job(store, job);
        var db = store.Redis.GetDatabase();

        var ttl = await db.KeyTimeToLiveAsync(store.Keys.Tombstone(job));
        await Eventually.WaitForAsync(() => db.KeyExistsAsync(store.Keys.Status(job)), left => !left, TimeSpan.FromSeconds(10), "the job's keys to leave after the 1 s retention");
        var resentWhileKept = await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "\"once\""));
        await Eventually.WaitForAsync(() => db.KeyExistsAsync(store.Keys.Tombstone(job)), gone => !gone, TimeSpan.FromSeconds(10), "the tombstone to expire");
        var resentAfter = await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "\"once\""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(4)), "Retention (1 s) + TombstoneTtl (3 s)");
            Assert.That(resentWhileKept.Status, Is.EqualTo(SubmitStatus.Archived), "while the tombstone stays, a re-send is answered from the history");
            Assert.That(resentAfter.Status, Is.EqualTo(SubmitStatus.Created), "after it, the job is created again (the documented trade-off)");
        }
    }

    [Test]
    public async Task Should_keep_a_tombstone_as_long_as_a_history_ttl_keeps_the_job()
    {
        var store = Archiving(historyTtl: TimeSpan.FromMinutes(10), tombstoneTtl: TimeSpan.FromSeconds(1));
        var job = new JobRef("tombs", "with-history-ttl");
        await Archive_a_finished_job(store, job);

        var ttl = await store.Redis.GetDatabase().KeyTimeToLiveAsync(store.Keys.Tombstone(job));

        Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.FromMinutes(9)).And.LessThanOrEqualTo(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)), "Retention + HistoryTtl");
    }

    private static StoreHarness Archiving(TimeSpan historyTtl, TimeSpan tombstoneTtl) =>
        new(TestRedis.NewPrefix("tomb"), OneSecondRetention, TimeProvider.System,
            mongo: new MongoOptions { ConnectionString = "mongodb://127.0.0.1:1", HistoryTtl = historyTtl, TombstoneTtl = tombstoneTtl });

    /// <summary>Runs a job to its end, then does what the archiver does once the job is safely in MongoDB.</summary>
    private static async Task Archive_a_finished_job(StoreHarness store, JobRef job)
    {
        await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "\"once\""));
        var claimed = (await store.ClaimAsync("tomb-worker", 1)).Single();
        Assert.That(await store.CompleteAsync(claimed, "\"done\""), Is.True);
        var item = await store.Archive.ReadAsync(job);
        Assert.That(await store.Archive.MarkArchivedAsync(item), Is.True, "the job has ended, so it is marked archived");
    }
}
