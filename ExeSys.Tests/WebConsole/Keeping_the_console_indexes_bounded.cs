using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// The recent-jobs and recent-runs indexes hold at most their bound (ExeSys:Console:RecentJobs, RecentRuns) plus one
/// stream node (XADD MAXLEN ~ drops whole nodes only), whether the submit scripts add to them (a single Redis) or
/// index_add.lua does (CombineSlots off, as on a cluster), and the list shows the newest.
/// </summary>
[TestFixture(true)]
[TestFixture(false)]
public sealed class Keeping_the_console_indexes_bounded(bool combineSlots) : ApiFixture
{
    private const int Bound = 5;

    /// <summary>Redis's stream-node-max-entries default: the most a MAXLEN ~ trim leaves over the bound.</summary>
    private const int NodeEntries = 100;

    /// <summary>Enough adds to fill more than two stream nodes, so trims must have happened.</summary>
    private const int Adds = (2 * NodeEntries) + 30;

    protected override TestSettings Configure(TestSettings settings) => settings
        .With("ExeSys:Redis:CombineSlots", combineSlots ? "true" : "false")
        .With("ExeSys:Console:RecentJobs", Bound.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .With("ExeSys:Console:RecentRuns", Bound.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Test]
    public async Task Should_never_hold_more_jobs_than_its_bound_and_list_the_newest()
    {
        var index = new RedisKeys(Env.Prefix).RecentJobs("default");
        var db = TestRedis.Connection.GetDatabase();
        var ids = new List<string>();
        long largest = 0;
        for (var i = 0; i < Adds; i++)
        {
            var id = $"b{i:D3}-{Guid.NewGuid():N}";
            ids.Add(id);
            Assert.That((await PostAsync(SysCmdHttp.Command("bounded", id, "echo", "1"))).Code, Is.LessThan(300));
            largest = Math.Max(largest, await db.StreamLengthAsync(index));
        }

        var listed = await GetAsync("/console/api/jobs?from=bounded&limit=50");
        var newest = listed.Get("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(largest, Is.InRange(Bound, Bound + NodeEntries), "the index's size after each submit");
            Assert.That(newest, Has.Count.InRange(Bound, 50));
            Assert.That(newest.Take(Bound), Is.EqualTo(ids.AsEnumerable().Reverse().Take(Bound)), "the newest, newest first");
        });
    }

    [Test]
    public async Task Should_never_hold_more_runs_than_its_bound()
    {
        var index = new RedisKeys(Env.Prefix).RecentRuns("default");
        var db = TestRedis.Connection.GetDatabase();
        long largest = 0;
        for (var i = 0; i < Adds; i++)
        {
            var reply = await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/workflows",
                $$"""{"from":"bounded-runs","job_id":"r{{i}}-{{Guid.NewGuid():N}}","nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""");
            Assert.That(reply.Code, Is.LessThan(300), reply.Text);
            largest = Math.Max(largest, await db.StreamLengthAsync(index));
        }

        var runs = await GetAsync("/console/api/runs?from=bounded-runs");
        Assert.Multiple(() =>
        {
            Assert.That(largest, Is.InRange(Bound, Bound + NodeEntries));
            Assert.That(runs.Get("runs").GetArrayLength(), Is.InRange(Bound, 50), runs.Text);
        });
    }
}
