using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// A client's run list (P:runs:{from}, for cancel-all) drops entries older than the retention at each new run, but the
/// key itself used to stay for ever once the client stopped starting runs. It now expires one retention after the
/// client's last new run.
/// </summary>
[TestFixture]
public sealed class Bounding_a_clients_run_list : On_the_shared_cluster
{
    [Test]
    public async Task Should_expire_the_run_list_one_retention_after_the_clients_last_run()
    {
        var (from, id) = (NewId("runlist"), NewId("run"));
        await Cluster.SubmitRunAsync(RunBody.Graph(from, id, """{"only": {"cmd": "echo", "data": 1, "next": ["end_job"]}}"""));
        await Cluster.WaitForRunAsync(from, id);

        var db = Cluster.Redis.GetDatabase();
        var members = await db.SortedSetRangeByRankAsync(Cluster.Keys.ClientRuns(from));
        var ttl = await db.KeyTimeToLiveAsync(Cluster.Keys.ClientRuns(from));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(members.Select(m => (string)m!), Is.EqualTo(new[] { id }));
            Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.FromHours(23)).And.LessThanOrEqualTo(TimeSpan.FromDays(1)), "ExeSys:Jobs:Retention (1 day)");
        }
    }
}
