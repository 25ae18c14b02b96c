using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Core.Workflows;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// Redis's Lua unpack() takes at most 7,999 values, and every enqueue spreads two per job (score, member) into one
/// ZADD. An enqueue of more jobs than that, given at once or merged from concurrent callers by the call coalescer,
/// once failed in Redis after the jobs were written, leaving them in state 0 and off the queue. The enqueue now goes
/// out in bounded calls, and the scripts add in bounded chunks. The settings that make one script take a list of
/// jobs (RecoveryBatch for lease recovery and due retries) are bounded to what one call takes; at that bound they work.
/// </summary>
[TestFixture]
public sealed class Enqueueing_more_jobs_than_one_script_can_unpack
{
    private static RedisQueueSlot NewQueue(RedisKeys keys, JobOptions options) =>
        new StoreHarness(keys.Prefix, options, TimeProvider.System).Queue;

    private static List<QueuedJob> Jobs(string from, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new QueuedJob(new JobRef(from, string.Create(CultureInfo.InvariantCulture, $"job-{i}")), JobPriority.Normal, "echo", QueueKeys.DefaultName))];

    private static Task<long> ReadyAsync(RedisKeys keys) => TestRedis.Connection.GetDatabase().ReadyCountAsync(keys.Default);

    [Test]
    public async Task Should_enqueue_ten_thousand_jobs_given_in_one_call()
    {
        var keys = new RedisKeys(TestRedis.NewPrefix("unpack-one"));

        await NewQueue(keys, new JobOptions()).EnqueueAsync(Jobs("big", 10_000));

        Assert.That(await ReadyAsync(keys), Is.EqualTo(10_000));
    }

    [Test]
    public async Task Should_enqueue_every_job_of_concurrent_callers_whose_calls_are_merged()
    {
        var keys = new RedisKeys(TestRedis.NewPrefix("unpack-merged"));
        var queue = NewQueue(keys, new JobOptions());

        // The first call goes out at once; the seven after it arrive while it is in flight and are merged.
        var calls = Enumerable.Range(0, 8).Select(n => queue.EnqueueAsync(Jobs($"caller{n}", 1000))).ToList();
        await Task.WhenAll(calls);

        Assert.That(await ReadyAsync(keys), Is.EqualTo(8000));
    }

    [Test]
    public async Task Should_submit_and_queue_every_job_of_a_batch_of_ten_thousand()
    {
        var store = new StoreHarness(TestRedis.NewPrefix("unpack-batch"), new JobOptions(), TimeProvider.System);
        var commands = Enumerable.Range(0, 10_000).Select(i => StoreHarness.Command("batch", string.Create(CultureInfo.InvariantCulture, $"job-{i}"))).ToList();

        var outcomes = await store.Client.SubmitManyAsync(commands, watch: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Select(o => o.Status), Is.All.EqualTo(SubmitStatus.Created));
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(commands.Count), "every accepted job is on the queue");
        }
    }

    [Test]
    public async Task Should_take_back_as_many_expired_leases_in_one_call_as_RecoveryBatch_allows()
    {
        const int Max = ScriptLimits.JobsPerCall;
        var store = new StoreHarness(TestRedis.NewPrefix("unpack-recover"), new JobOptions { LeaseDuration = TimeSpan.FromMilliseconds(300) }, TimeProvider.System);
        await store.Client.SubmitManyAsync([.. Enumerable.Range(0, Max).Select(i => StoreHarness.Command("lost", string.Create(CultureInfo.InvariantCulture, $"job-{i}")))], watch: false);
        var claimed = (await store.ClaimAsync("w1", 1000)).Count + (await store.ClaimAsync("w1", 1000)).Count;
        await WaitUntilEveryLeaseHasExpiredAsync(store);

        var recovered = await store.Maintenance.RecoverExpiredLeasesAsync(Max);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Is.EqualTo(Max));
            Assert.That(recovered, Is.EqualTo(Max));
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(Max), "every job taken back is on the queue again");
            Assert.That(await store.InflightCountAsync(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_promote_as_many_due_retries_in_one_call_as_RecoveryBatch_allows()
    {
        const int Max = ScriptLimits.JobsPerCall;
        var store = new StoreHarness(TestRedis.NewPrefix("unpack-due"), new JobOptions(), TimeProvider.System);
        await store.Client.SubmitManyAsync([.. Enumerable.Range(0, Max).Select(i => StoreHarness.Command("retry", string.Create(CultureInfo.InvariantCulture, $"job-{i}")))], watch: false);
        var claimed = (await store.ClaimAsync("w1", 1000)).Concat(await store.ClaimAsync("w1", 1000)).ToList();
        var past = DateTimeOffset.UtcNow.AddSeconds(-1);
        var failed = await Task.WhenAll(claimed.Select(job => store.Worker.FailAsync(job, "try again", past)));

        var promoted = await store.Maintenance.PromoteDueRetriesAsync(Max);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed, Has.Length.EqualTo(Max).And.All.True);
            Assert.That(promoted, Is.EqualTo(Max));
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(Max), "every due retry is on the queue");
        }
    }

    [Test]
    public async Task Should_record_a_node_that_promotes_thousands_of_successors_and_queue_them_all()
    {
        var options = new JobOptions();
        var store = new StoreHarness(TestRedis.NewPrefix("unpack-fanout"), options, TimeProvider.System);
        var successors = Enumerable.Range(1, WorkflowParser.MaxNodes - 2).Select(i => string.Create(CultureInfo.InvariantCulture, $"n{i}")).ToList();
        var nodes = new JsonObject { ["n0"] = Node(successors) };
        successors.ForEach(name => nodes[name] = Node(["last"]));
        nodes["last"] = Node(["end_job"]);
        var graphJson = new JsonObject { ["nodes"] = nodes }.ToJsonString();
        using var graph = JsonDocument.Parse(graphJson);
        var definition = WorkflowParser.Parse(graph.RootElement, _ => true, 128, ["fan"], []) ?? throw new InvalidOperationException("the graph is valid");
        var run = new JobRef("fan", "run-1");
        var submitted = await NewWorkflowClient(store, options).SubmitAsync(new WorkflowRunRequest(run, definition, graphJson, "null", JobPriority.Normal), watch: false);
        var first = await store.ClaimAsync("w1", 1);

        // Its finish moves every successor to state 0 and lists them for the worker's ack to enqueue, in one reply.
        var recorded = await store.Worker.CompleteAsync(first[0], "1", successors);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(submitted.Status, Is.EqualTo(WorkflowSubmitStatus.Created));
            Assert.That(first.Single().Job.From, Is.EqualTo("n0"));
            Assert.That(recorded, Is.True, "the finish is recorded");
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(successors.Count), "and every successor it promoted is on the queue");
        }
    }

    private static JsonObject Node(IEnumerable<string> next) => new() { ["cmd"] = "echo", ["next"] = new JsonArray([.. next.Select(n => JsonValue.Create(n))]) };

    private static RedisWorkflowClient NewWorkflowClient(StoreHarness store, JobOptions options)
    {
        var retention = new RetentionPolicy(Options.Create(options), Options.Create(new MongoOptions()));
        var clock = new RedisClock(TimeProvider.System);
        return new RedisWorkflowClient(store.Redis, store.Keys, NewQueue(store.Keys, options), new RedisTopology(store.Redis, Options.Create(new RedisOptions()), retention),
            retention, clock, new RedisArchiveBacklog(store.Redis, store.Keys, retention, clock), store.Lanes, Options.Create(options));
    }

    [Test]
    public async Task Should_merge_calls_only_up_to_the_coalescer_bound_and_complete_each_with_its_own_call()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new List<int[]>();
        var coalescer = new CallCoalescer<int[]>(async batch =>
        {
            lock (sent)
            {
                sent.Add([.. batch.Select(b => b.Length)]);
            }

            await first.Task;
        }, maxBatch: 512, weight: item => item.Length, maxWeight: 4000);

        // The first call is held in flight, so the ten after it wait and are merged, at most 4,000 values a call.
        var adds = Enumerable.Range(0, 11).Select(_ => coalescer.AddAsync(new int[1500])).ToList();
        first.SetResult();
        await Task.WhenAll(adds);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sent.SelectMany(s => s).Count(), Is.EqualTo(11), "every item is sent once");
            Assert.That(sent.Select(s => s.Sum()), Is.All.LessThanOrEqualTo(4000), "no call carries more than the bound");
            Assert.That(sent.Skip(1).Select(s => s.Length), Is.All.EqualTo(2), "calls are merged up to the bound");
        }
    }

    /// <summary>Lease deadlines are on Redis's clock: waits until its TIME has passed the latest one.</summary>
    private static Task WaitUntilEveryLeaseHasExpiredAsync(StoreHarness store) =>
        Eventually.WaitForAsync(async () =>
        {
            var db = store.Redis.GetDatabase();
            var latest = await db.SortedSetRangeByRankWithScoresAsync(store.Keys.Inflight, -1, -1, Order.Ascending);
            var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
            var nowMs = ((long)time[0] * 1000) + ((long)time[1] / 1000);
            return latest.Length == 1 && latest[0].Score < nowMs;
        }, TimeSpan.FromSeconds(10), "every lease to expire");
}
