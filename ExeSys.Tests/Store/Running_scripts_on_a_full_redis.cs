using System.Globalization;
using System.Reflection;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Core.Resilience;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// A full Redis (maxmemory reached under noeviction) on a redis-server of the fixture's own. Every script is refused
/// whole before it runs, or runs, as the flags LuaScripts declares for it say; a refused script leaves nothing behind,
/// so no job is half-moved. Leases can still be renewed and jobs read; work that would grow memory waits.
/// </summary>
[TestFixture]
public sealed class Running_scripts_on_a_full_redis
{
    /// <summary>What Redis answers when it refuses a flagged script before running it (a failure inside a script also names the script).</summary>
    private const string RefusedWhole = "OOM command not allowed when used memory > 'maxmemory'.";

    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;

    [OneTimeSetUp]
    public async Task Start_a_redis_of_its_own()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(15));
        _redis = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [TearDown]
    public async Task Make_room_again() => await SetMaxMemoryAsync("0");

    public static IEnumerable<RedisScript> Scripts =>
        typeof(LuaScripts).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(RedisScript))
            .Select(f => (RedisScript)f.GetValue(null)!);

    [Test]
    public void Should_open_every_script_with_its_flags()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Scripts.Select(s => s.Name), Is.EquivalentTo(LuaScripts.Names.Where(n => n is not "_common" and not "_lanes" and not "_schedules")), "every embedded script is loaded, with flags");
            foreach (var script in Scripts)
            {
                Assert.That(script.Text.Split('\n')[0], Is.EqualTo(LuaScripts.Shebang(script.Access)), $"{script.Name}: Redis reads flags from the first line only");
            }
        }
    }

    [TestCaseSource(nameof(Scripts))]
    public async Task Should_refuse_a_script_whole_under_oom_or_run_it_as_its_flags_say(RedisScript script)
    {
        var db = _redis.GetDatabase();
        RedisKey[] keys = [.. Enumerable.Range(1, 8).Select(i => (RedisKey)$"{{oom}}:k{i}")];
        RedisValue[] args = [.. Enumerable.Range(1, 8).Select(_ => (RedisValue)"1")];
        await db.StringSetAsync("{oom}:seed", "x");
        var before = await db.ExecuteAsync("DBSIZE");
        await SetMaxMemoryAsync("1");

        string? refusal = null;
        try
        {
            await db.EvaluateAsync(script, keys, args);
        }
        catch (RedisServerException ex)
        {
            refusal = ex.Message;
        }

        var after = await db.ExecuteAsync("DBSIZE");
        using (Assert.EnterMultipleScope())
        {
            if (script.Access == ScriptAccess.Atomic)
            {
                Assert.That(refusal, Is.EqualTo(RefusedWhole), $"{script.Name} must be refused before it runs");
                Assert.That((long)after, Is.EqualTo((long)before), "a refused script writes nothing");
            }
            else
            {
                // A reply, or an error from inside the script (these arguments are nonsense to it), shows that it ran.
                Assert.That(refusal ?? "", Does.Not.StartWith("OOM"), $"{script.Name} ({script.Access}) must run on a full Redis");
            }
        }
    }

    [Test]
    public async Task Should_keep_leases_and_reads_and_lose_no_job_while_full()
    {
        var store = new StoreHarness(TestRedis.NewPrefix("full"), new JobOptions(), TimeProvider.System, _redis);
        await store.SubmitAsync(StoreHarness.Command("full", "a"));
        await store.SubmitAsync(StoreHarness.Command("full", "b"));
        var claimed = await store.ClaimAsync("w1", 2);
        Assert.That(claimed, Has.Count.EqualTo(2));
        var (a, b) = (claimed.Single(j => j.Job.JobId == "a"), claimed.Single(j => j.Job.JobId == "b"));

        await SetMaxMemoryAsync("1");
        var submit = await RefusalAsync(() => store.SubmitAsync(StoreHarness.Command("full", "c")));
        // The script itself, not the worker's recording, which retries an OOM refusal until it goes through
        // (Store/Recording_an_outcome_while_redis_is_full).
        var finish = await RefusalAsync(() => RedisJobFinish.EvaluateAsync(store.Redis.GetDatabase(), store.Keys, store.Retention, a.Job,
            a.Attempt.ToString(CultureInfo.InvariantCulture), JobState.DataAvailable, "{\"ok\":1}", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "", null));
        var requeue = await RefusalAsync(() => store.Worker.ReleaseAsync([b]));
        var claim = await RefusalAsync(() => store.ClaimAsync("w2", 1));
        await store.Worker.RenewLeasesAsync([a.Job, b.Job]);
        var readA = await store.GetAsync(a.Job);
        var readC = await store.GetAsync(new JobRef("full", "c"));
        var inflightWhileFull = await store.InflightCountAsync();
        var readyWhileFull = await store.ReadyCountAsync();

        await SetMaxMemoryAsync("0");
        var finished = await store.CompleteAsync(a, "{\"ok\":1}");
        await store.Worker.ReleaseAsync([b]);
        await store.SubmitAsync(StoreHarness.Command("full", "c"));

        using (Assert.EnterMultipleScope())
        {
            foreach (var (what, refused) in new[] { ("submit", submit), ("finish", finish), ("requeue", requeue), ("claim", claim) })
            {
                Assert.That(refused, Is.Not.Null, $"{what} must be refused while Redis is full");
                Assert.That(refused is not null && RedisFaults.IsTransient(refused) && RedisFaults.IsOutOfMemory(refused), Is.True, $"{what}: {refused?.Message}");
            }

            Assert.That(readA?.State, Is.EqualTo(JobState.Processing), "a job stays readable, and its refused finish changed nothing");
            Assert.That(readC, Is.Null, "a refused submit accepted nothing");
            Assert.That((inflightWhileFull, readyWhileFull), Is.EqualTo((2L, 0L)), "the refused requeue did not take the job off inflight (nor half-move it)");
            Assert.That(finished, Is.True, "once there is room, the finish goes through");
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(2), "and the requeue and the re-sent submit too");
        }
    }

    private static async Task<Exception?> RefusalAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (RedisServerException ex)
        {
            return ex;
        }
    }

    private Task<RedisResult> SetMaxMemoryAsync(string bytes) => _redis.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", bytes);
}
