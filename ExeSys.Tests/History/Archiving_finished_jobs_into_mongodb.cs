using System.Globalization;
using System.Text.Json;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Workflows;
using ExeSys.Tests.Workflows;
using MongoDB.Bson;
using MongoDB.Driver;

namespace ExeSys.Tests.History;

/// <summary>
/// MongoDB history end to end: real API, controller and worker processes, a real redis-server and CongoDB (a MongoDB
/// wire-protocol server). The hot retention is 2 s, so archived jobs leave Redis during the test and are answered
/// from MongoDB. Every test uses a client name of its own; the outage test restarts CongoDB, which comes back empty,
/// so it checks only jobs that finished during and after the outage.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Archiving_finished_jobs_into_mongodb
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(45);
    private CongoServer _congo = null!;
    private ExeSysDeployment _deployment = null!;
    private static readonly string[] DiamondNodes = ["a", "b", "c", "d"];
    private static readonly string[] DiamondFanout = ["b", "c"];
    private static readonly string[] FailingNodes = ["boom", "never"];
    private static readonly string[] MineOnly = ["mine"];
    private MongoClient _mongo = null!;

    private IMongoCollection<BsonDocument> Jobs => _mongo.GetDatabase("exesys_tests").GetCollection<BsonDocument>("jobs");

    private IMongoCollection<BsonDocument> Activity => _mongo.GetDatabase("exesys_tests").GetCollection<BsonDocument>("activity");

    [OneTimeSetUp]
    public async Task Start_mongodb_and_exesys()
    {
        _congo = await CongoServer.StartAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("hist"))
            .With("ExeSys:Mongo:ArchiveInterval", "00:00:00.100")
            .With("ExeSys:Mongo:TimeoutMs", "1000")
            .With("ExeSys:Jobs:Retention", "00:00:02");
        _deployment = await ExeSysDeployment.Build(settings).WithMongo(_congo.ConnectionString, "exesys_tests").StartAsync();
        var controller = _deployment.StartController("controller-1");
        var worker = _deployment.StartWorker("worker-1");
        await _deployment.WaitForWorkerAsync(worker);
        await _deployment.WaitForControllerAsync(controller);
        _mongo = new MongoClient(_congo.ConnectionString);
    }

    [OneTimeTearDown]
    public async Task Stop_everything()
    {
        _mongo?.Dispose();
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }

        if (_congo is not null)
        {
            await _congo.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_archive_an_operator_action_in_the_audit_collection_with_the_keys_name()
    {
        var from = "aud" + Guid.NewGuid().ToString("N")[..8];
        var reply = await PostAsync($"/workflows/{from}/cancel", "");
        Assert.That(reply.Code, Is.EqualTo(200), reply.Text);

        var audit = _mongo.GetDatabase("exesys_tests").GetCollection<BsonDocument>("audit");
        var documents = await audit.Find(Builders<BsonDocument>.Filter.Eq("target", $"{from} (0 runs)")).ToListAsync();
        Assert.That(documents, Has.Count.EqualTo(1), "one document per action, written before the reply");
        var d = documents[0];
        Assert.That((d["action"].AsString, d["key"].AsString, d["key_id"].AsString, d["tenant"].AsString), Is.EqualTo(("workflow.cancel_all", "open", "open", "default")));
        Assert.That(d["time"].ToUniversalTime(), Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task Should_list_a_schedules_archived_firings_by_its_name()
    {
        var from = "sch" + Guid.NewGuid().ToString("N")[..8];
        var name = "hist-" + from;
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2);
        var body = $$"""{"name":"{{name}}","interval":"1s","start":"{{start.ToString("O", CultureInfo.InvariantCulture)}}","end":"{{start.AddSeconds(2).ToString("O", CultureInfo.InvariantCulture)}}","overlap":"allow_all","command":{"from":"{{from}}","to":"end_job","cmd":"echo","data":1} }""";
        Assert.That((await PostAsync("/schedules", body)).Code, Is.EqualTo(201));
        Assert.That((await PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command(from, "not-a-firing", "echo", "2"))).Resp, Is.EqualTo("data_available"));

        await Eventually.WaitForAsync(() => Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from)), n => n == 4, Long, "3 firings and 1 other job archived");
        var page = await SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs?schedule={name}&limit=50");
        Assert.That(page.Get("items").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()),
            Is.EquivalentTo(Enumerable.Range(0, 3).Select(i => ExeSys.Core.Schedules.ScheduleTimes.JobId(name, start.AddSeconds(i).ToUnixTimeMilliseconds()))), page.Text);
    }

    [Test]
    public async Task Should_fill_a_history_page_with_the_callers_tenant_however_many_jobs_other_tenants_archived_since()
    {
        var from = "ten" + Guid.NewGuid().ToString("N")[..8];
        Assert.That((await PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command(from, "mine", "echo", "1"))).Resp, Is.EqualTo("data_available"));
        var mine = await Eventually.WaitForAsync(() => Jobs.Find(Builders<BsonDocument>.Filter.Eq("from", from)).FirstOrDefaultAsync(), d => d is not null, Long, "the job archived");

        // Three jobs of another tenant with the same 'from', archived later: their ids are qualified (acme~...).
        var finished = mine["finished"].ToUniversalTime();
        await Jobs.InsertManyAsync(Enumerable.Range(1, 3).Select(i =>
        {
            var other = mine.DeepClone().AsBsonDocument;
            other.Remove("_id");
            other["job_id"] = $"acme~later-{i}";
            other["ref"] = $"{from}:acme~later-{i}";
            other["finished"] = finished.AddSeconds(i);
            return other;
        }));

        var page = await SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs?from={from}&limit=1");
        Assert.That(page.Get("items").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()), Is.EqualTo(MineOnly),
            "the default tenant's one job fills its page of one; the other tenant's later jobs are neither shown nor taking its place: " + page.Text);
    }

    [Test, Order(1)]
    public async Task Should_archive_jobs_and_workflows_and_answer_them_from_history_after_they_leave_redis()
    {
        var from = "e2e" + Guid.NewGuid().ToString("N")[..8];
        var commands = Enumerable.Range(0, 500)
            .Select(i => SysCmdHttp.Command(from, $"job-{i}", "echo", $"{{\"n\":{i}}}"))
            .ToList();
        var first = await SendAllAsync(commands, "?wait=10s");
        Assert.That(first.Where(r => r.Resp != "data_available").Select(r => r.Text), Is.Empty, "every job finishes");

        var runs = Enumerable.Range(0, 20).Select(i => $"run-{i}").ToList();
        var submitted = await Task.WhenAll(runs.Select(id =>
            PostAsync("/workflows?wait=10s", RunBody.Graph(from, id, Running_a_diamond.Diamond, dataJson: "1"))));
        Assert.That(submitted.Where(r => r.Resp != "data_available").Select(r => r.Text), Is.Empty, "every run finishes");

        // Archived, then dropped from Redis after the 2 s hot retention: only the tombstones are left.
        await Eventually.WaitForAsync(() => Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from)), n => n == 520, Long, "520 archived documents");
        await Eventually.WaitForAsync(async () => await CountStatusKeysAsync(from, commands.Count), n => n == 0, Long, "the jobs' Redis keys to expire");

        var again = await SendAllAsync(commands, null);
        using (Assert.EnterMultipleScope())
        {
            for (var i = 0; i < commands.Count; i++)
            {
                Assert.That(again[i].Resp, Is.EqualTo("data_available"), again[i].Text);
                Assert.That(again[i].Text, Is.EqualTo(first[i].Text), "a re-send after the job left Redis gets the very same reply");
            }
        }

        var runFromHistory = await SysCmdHttp.GetAsync(_deployment.Client, $"/jobs/{from}/run-7");
        Assert.That((runFromHistory.Code, runFromHistory.Get("data").GetInt32()), Is.EqualTo((200, 114)), runFromHistory.Text);

        var run = await SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs/{from}/run-3");
        Assert.That(run.Code, Is.EqualTo(200), run.Text);
        var nodes = run.Get("nodes").EnumerateArray().ToList();
        var job = await SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs/{from}/job-42");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((run.Field("kind"), run.Field("phase")), Is.EqualTo(("run", "done")));
            Assert.That(nodes.Select(n => n.GetProperty("name").GetString()), Is.EquivalentTo(DiamondNodes));
            Assert.That(nodes.Select(n => Events(n)), Has.All.EqualTo("submitted,started,finished"), run.Text);
            Assert.That(Events(job.Body), Is.EqualTo("submitted,started,finished"), job.Text);
            Assert.That(job.Get("timeline")[1].GetProperty("worker").GetString(), Is.EqualTo("worker-1"));
            Assert.That(job.Get("result").GetProperty("n").GetInt32(), Is.EqualTo(42));
        }

        // Page through the client's history with the cursor: every job exactly once.
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs?from={from}&cmd=echo&state=3&limit=120" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.That(page.Code, Is.EqualTo(200), page.Text);
            seen.AddRange(page.Get("items").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()!));
            cursor = page.Get("next_cursor").ValueKind == JsonValueKind.String ? page.Field("next_cursor") : null;
            pages++;
        }
        while (cursor is not null && pages < 20);
        Assert.That(seen, Is.EquivalentTo(Enumerable.Range(0, 500).Select(i => $"job-{i}")), "the pages hold every job once");
        Assert.That(pages, Is.EqualTo(5));

        var bad = await SysCmdHttp.GetAsync(_deployment.Client, "/history/jobs?cursor=nonsense!");
        Assert.That(bad.Code, Is.EqualTo(400), bad.Text);

        // HistoryTtl: MongoDB's TTL monitor removes a document at its "expires" time (none with HistoryTtl 0).
        var indexes = await (await Jobs.Indexes.ListAsync()).ToListAsync();
        var ttl = indexes.Where(i => i["name"] == "expires_ttl").Select(i => (i["key"].AsBsonDocument.Names.Single(), i["expireAfterSeconds"].ToInt64()));
        Assert.That(ttl, Is.EqualTo(new[] { ("expires", 0L) }), indexes.ToJson());
    }

    [Test, Order(2)]
    public async Task Should_leave_no_duplicates_when_the_controller_is_killed_mid_archive_and_jobs_are_archived_twice()
    {
        var from = "dup" + Guid.NewGuid().ToString("N")[..8];
        // The deployment's process set owns (and disposes) every process it started.
        var controller = _deployment.Processes.All.Last(p => p.Role == ExeSysRole.Controller && !p.HasExited);
        controller.Crash();
        await controller.WaitForExitAsync(TimeSpan.FromSeconds(10));

        // With no controller, the ended jobs wait on the backlog with their keys kept.
        var commands = Enumerable.Range(0, 300).Select(i => SysCmdHttp.Command(from, $"job-{i}", "echo", i.ToString(CultureInfo.InvariantCulture))).ToList();
        var replies = await SendAllAsync(commands, "?wait=10s");
        Assert.That(replies.Count(r => r.Resp == "data_available"), Is.EqualTo(300));
        // A job's result is visible (and its long-poll answered) by the script that records it; the worker's ack, which
        // drops the lease and adds the job to the backlog, follows in a second call, so the backlog may lag the replies.
        await Eventually.WaitForAsync(BacklogAsync, n => n >= 300, Long, "the 300 ended jobs on the archive backlog");

        // Kill a controller while it archives (its log says it started), then let another finish the work.
        var doomed = _deployment.StartController("controller-doomed");
        await Eventually.WaitForAsync(() => Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from)), n => n > 0, Long, "the doomed controller to start archiving");
        doomed.Crash();
        await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));

        // Archive every one of them a second time, as a controller that died after writing but before acking would.
        var db = TestRedis.Connection.GetDatabase();
        await db.SortedSetAddAsync(_deployment.Keys.ArchiveBacklog, [.. commands.Select((_, i) => new StackExchange.Redis.SortedSetEntry($"{from}:job-{i}", 0))]);

        _deployment.StartController("controller-2");
        await Eventually.WaitForAsync(BacklogAsync, n => n == 0, Long, "the backlog to drain");

        var refs = await Jobs.Distinct<string>("ref", Builders<BsonDocument>.Filter.Eq("from", from)).ToListAsync();
        var count = await Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from));
        var activity = await Activity.Find(Builders<BsonDocument>.Filter.Regex("ref", new BsonRegularExpression("^" + from + ":"))).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((count, refs.Count), Is.EqualTo((300L, 300)), "one document per job");
            Assert.That(activity, Has.Count.EqualTo(900), "submitted, started and finished once per job");
            Assert.That(activity.Select(a => a["key"].AsString).Distinct().Count(), Is.EqualTo(activity.Count));
        }
    }

    [Test, Order(3)]
    public async Task Should_keep_jobs_flowing_through_a_mongodb_outage_and_archive_them_all_when_it_returns()
    {
        var from = "out" + Guid.NewGuid().ToString("N")[..8];
        await _congo.StopAsync();

        var commands = Enumerable.Range(0, 200).Select(i => SysCmdHttp.Command(from, $"job-{i}", "echo", i.ToString(CultureInfo.InvariantCulture))).ToList();
        var during = await SendAllAsync(commands, "?wait=10s");
        Assert.That(during.Count(r => r.Resp == "data_available"), Is.EqualTo(200), "jobs flow without MongoDB");

        var ready = await SysCmdHttp.GetAsync(_deployment.Client, "/health/ready");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ready.Code, Is.EqualTo(200), ready.Text);
            Assert.That(ready.Field("mongo"), Does.StartWith("degraded"), ready.Text);
            Assert.That(ready.Get("archive_backlog").GetInt64(), Is.GreaterThanOrEqualTo(200), ready.Text);
        }

        // Past the 2 s hot retention, nothing has left Redis: it is not archived yet.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await CountStatusKeysAsync(from, commands.Count), Is.EqualTo(200), "no key is dropped before it is archived");

        await _congo.StartAgainAsync();
        await Eventually.WaitForAsync(BacklogAsync, n => n == 0, Long, "the backlog to drain after MongoDB returns");
        var archived = await Jobs.Distinct<string>("job_id", Builders<BsonDocument>.Filter.Eq("from", from)).ToListAsync();
        Assert.That(archived, Is.EquivalentTo(commands.Select((_, i) => $"job-{i}")), "every job that finished during the outage is archived");

        await Eventually.WaitForAsync(async () => await CountStatusKeysAsync(from, commands.Count), n => n == 0, Long, "the jobs to leave Redis once archived");
        var again = await SendAllAsync(commands, null);
        Assert.That(again.Select(r => r.Text), Is.EqualTo(during.Select(r => r.Text)), "answered from MongoDB with the same replies");

        var stats = await SysCmdHttp.GetAsync(_deployment.Client, "/history/stats");
        Assert.That((stats.Field("mongo"), stats.Get("backlog").GetInt64()), Is.EqualTo(("ok", 0L)), stats.Text);
    }

    [Test, Order(4)]
    public async Task Should_answer_a_re_sent_graph_run_from_history_after_it_left_redis_without_starting_it_again()
    {
        var from = "rsd" + Guid.NewGuid().ToString("N")[..8];
        var done = RunBody.Graph(from, "done-run", Running_a_diamond.Diamond, dataJson: "1");
        var failing = RunBody.Graph(from, "failed-run", """
            {
              "boom":  {"cmd": "fail", "data": "disk full", "retry": {"max_attempts": 1}, "next": ["never"]},
              "never": {"cmd": "echo", "next": ["end_job"]}
            }
            """);
        var first = await PostAsync("/workflows?wait=10s", done);
        var firstFailed = await PostAsync("/workflows?wait=10s", failing);
        Assert.That((first.Resp, first.Get("data").GetInt32(), firstFailed.State), Is.EqualTo(("data_available", 114, 4)), first.Text + firstFailed.Text);

        var runs = new[] { new JobRef(from, "done-run"), new JobRef(from, "failed-run") };
        var nodeKeys = DiamondNodes.Select(n => _deployment.Keys.Status(new JobRef(n, "done-run")))
            .Concat(FailingNodes.Select(n => _deployment.Keys.Status(new JobRef(n, "failed-run"))))
            .Concat(runs.Select(r => _deployment.Keys.Status(r)))
            .Concat(runs.Select(r => _deployment.Keys.Workflow(r.JobId)))
            .ToList();
        var db = TestRedis.Connection.GetDatabase();
        await Eventually.WaitForAsync(() => Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from)), n => n == 2, Long, "both runs archived");
        await Eventually.WaitForAsync(() => CountExistingAsync(nodeKeys), n => n == 0, Long, "the runs' Redis keys to expire");
        Assert.That(await Task.WhenAll(runs.Select(r => db.KeyExistsAsync(_deployment.Keys.Tombstone(r)))), Has.All.True, "only the tombstones are left");
        var archivedBefore = await Jobs.Find(Builders<BsonDocument>.Filter.Eq("from", from)).SortBy(d => d["ref"]).ToListAsync();

        // The re-send asks to wait: an archived run has finished, so it must answer at once, not after the 5 s.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var again = await PostAsync("/workflows?wait=5s", done);
        var againFailed = await PostAsync("/workflows?wait=5s", failing);
        clock.Stop();
        var keysAfter = (await Task.WhenAll(nodeKeys.Select(async k => (k, await db.KeyExistsAsync(k))))).Where(x => x.Item2).Select(x => x.k.ToString());
        var conflict = await PostAsync("/workflows", RunBody.Graph(from, "done-run", Running_a_diamond.Diamond, dataJson: "2"));
        var graph = await SysCmdHttp.GetAsync(_deployment.Client, $"/workflows/{from}/done-run");
        var failedGraph = await SysCmdHttp.GetAsync(_deployment.Client, $"/workflows/{from}/failed-run");
        var never = await SysCmdHttp.GetAsync(_deployment.Client, $"/workflows/{from}/never-started");

        // Give a wrongly started run every chance to finish and be archived over the first document.
        await Eventually.WaitForAsync(BacklogAsync, n => n == 0, Long, "the backlog to drain");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var archivedAfter = await Jobs.Find(Builders<BsonDocument>.Filter.Eq("from", from)).SortBy(d => d["ref"]).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((again.Code, again.Text), Is.EqualTo((first.Code, first.Text)), "the very same data_available reply");
            Assert.That((againFailed.Code, againFailed.Text), Is.EqualTo((firstFailed.Code, firstFailed.Text)), "the very same error reply");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "wait=5s does not hang on an archived run");
            Assert.That(keysAfter, Is.Empty, "no new run: not one status or workflow key came back");
            Assert.That(archivedAfter.Select(d => d.ToJson()), Is.EqualTo(archivedBefore.Select(d => d.ToJson())), "no new archive document, the old ones untouched");
            Assert.That(conflict.Code, Is.EqualTo(409), conflict.Text);
            Assert.That((graph.Code, graph.Field("phase"), graph.Get("run").GetProperty("data").GetInt32()), Is.EqualTo((200, "done", 114)), graph.Text);
            var nodes = graph.Get("nodes").EnumerateArray().ToList();
            Assert.That(nodes.Select(n => n.GetProperty("name").GetString()), Is.EqualTo(DiamondNodes), graph.Text);
            Assert.That(nodes.Select(n => (n.GetProperty("state").GetInt32(), n.GetProperty("attempts").GetInt32())), Has.All.EqualTo((3, 1)), "each node ran exactly once");
            Assert.That(nodes[0].GetProperty("next").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(DiamondFanout), graph.Text);
            Assert.That((failedGraph.Code, failedGraph.Field("phase")), Is.EqualTo((200, "failed")), failedGraph.Text);
            Assert.That(failedGraph.Get("nodes")[0].GetProperty("error").GetString(), Does.Contain("disk full"), failedGraph.Text);
            Assert.That(never.Code, Is.EqualTo(404), never.Text);
        }

        // With MongoDB away, an archived run cannot be read: 503, and still no new run. (CongoDB comes back empty.)
        await _congo.StopAsync();
        try
        {
            var unavailable = await PostAsync("/workflows?wait=5s", done);
            var unavailableGraph = await SysCmdHttp.GetAsync(_deployment.Client, $"/workflows/{from}/done-run");
            using (Assert.EnterMultipleScope())
            {
                Assert.That((unavailable.Code, unavailable.RetryAfter), Is.EqualTo((503, "1")), unavailable.Text);
                Assert.That(unavailableGraph.Code, Is.EqualTo(503), unavailableGraph.Text);
                Assert.That(await db.KeyExistsAsync(_deployment.Keys.Status(runs[0])), Is.False, "no new run while MongoDB is away");
            }
        }
        finally
        {
            await _congo.StartAgainAsync();
        }
    }

    [Test, Order(5)]
    public async Task Should_archive_a_cancelled_run_and_let_its_keys_leave_redis()
    {
        var from = "cnl" + Guid.NewGuid().ToString("N")[..8];
        var run = new JobRef(from, "cancelled-run");
        // wait_delay defers itself without a worker: once it waits, no node of the run is running, so no worker's
        // finish will ever put the run on the archive backlog.
        var submitted = await PostAsync("/workflows", RunBody.Graph(from, run.JobId, """
            {
              "pause": {"cmd": "wait_delay", "data": 600000, "next": ["after"]},
              "after": {"cmd": "echo", "next": ["end_job"]}
            }
            """));
        Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
        await Eventually.WaitForAsync(() => SysCmdHttp.GetAsync(_deployment.Client, $"/workflows/{from}/{run.JobId}"),
            g => g.Code == 200 && g.Get("nodes")[0].GetProperty("state").GetInt32() == 1, Long, "wait_delay to defer itself");

        // The run ends in the control script, so the same script puts it on the backlog.
        var cancelled = await PostAsync($"/workflows/{from}/{run.JobId}/cancel", "{}");
        Assert.That((cancelled.Code, cancelled.Field("phase")), Is.EqualTo((200, "cancelled")), cancelled.Text);

        var archived = await Eventually.WaitForAsync(() => SysCmdHttp.GetAsync(_deployment.Client, $"/history/jobs/{from}/{run.JobId}"),
            h => h.Code == 200 && h.Field("phase") == "cancelled", Long, "the cancelled run in the history");
        StackExchange.Redis.RedisKey[] keys = [_deployment.Keys.Status(run), _deployment.Keys.Workflow(run.JobId),
            _deployment.Keys.Status(new JobRef("pause", run.JobId)), _deployment.Keys.Status(new JobRef("after", run.JobId))];
        await Eventually.WaitForAsync(() => CountExistingAsync(keys), n => n == 0, Long,
            "the cancelled run's keys to leave Redis after the hot retention");
        var again = await SysCmdHttp.GetAsync(_deployment.Client, $"/jobs/{from}/{run.JobId}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(archived.Field("kind"), Is.EqualTo("run"), archived.Text);
            Assert.That((again.Code, again.State, again.Field("error")), Is.EqualTo((200, 4, "cancelled")), "read back from the history: " + again.Text);
        }
    }

    [Test, Order(6)]
    public async Task Should_answer_410_for_a_job_and_a_run_whose_history_has_expired_and_start_neither_again()
    {
        var from = "gone" + Guid.NewGuid().ToString("N")[..8];
        var job = new JobRef(from, "job-1");
        var run = new JobRef(from, "run-1");
        var command = SysCmdHttp.Command(from, job.JobId, "echo", "7");
        var graph = RunBody.Graph(from, run.JobId, Running_a_diamond.Diamond, dataJson: "1");
        var first = await SysCmdHttp.PostAsync(_deployment.Client, command, "?wait=10s");
        var firstRun = await PostAsync("/workflows?wait=10s", graph);
        Assert.That((first.Resp, firstRun.Resp), Is.EqualTo(("data_available", "data_available")), first.Text + firstRun.Text);

        StackExchange.Redis.RedisKey[] keys = [_deployment.Keys.Status(job), _deployment.Keys.Status(run), _deployment.Keys.Workflow(run.JobId)];
        await Eventually.WaitForAsync(() => Jobs.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("from", from)), n => n == 2, Long, "the job and the run archived");
        await Eventually.WaitForAsync(() => CountExistingAsync(keys), n => n == 0, Long,
            "their keys to leave Redis");

        // The documents would expire through the expires_ttl index (the first test checks it); CongoDB runs no TTL
        // monitor, so delete them as it would. The tombstones in Redis still say both were archived.
        await Jobs.DeleteManyAsync(Builders<BsonDocument>.Filter.Eq("from", from));

        var again = await SysCmdHttp.PostAsync(_deployment.Client, command, "?wait=5s");
        var againRun = await PostAsync("/workflows?wait=5s", graph);
        var keysAfter = await CountExistingAsync(keys);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((again.Code, again.MediaType, again.Field("title")), Is.EqualTo((410, "application/problem+json", "Job history expired")), again.Text);
            Assert.That((againRun.Code, againRun.Field("title")), Is.EqualTo((410, "Job history expired")), againRun.Text);
            Assert.That(keysAfter, Is.Zero, "neither the job nor the run started again");
        }
    }

    private static string Events(JsonElement job) =>
        string.Join(',', job.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("event").GetString()));

    private async Task<long> BacklogAsync() => await TestRedis.Connection.GetDatabase().SortedSetLengthAsync(_deployment.Keys.ArchiveBacklog);

    private Task<int> CountStatusKeysAsync(string from, int jobs) =>
        CountExistingAsync(Enumerable.Range(0, jobs).Select(i => _deployment.Keys.Status(new JobRef(from, $"job-{i}"))));

    private static async Task<int> CountExistingAsync(IEnumerable<StackExchange.Redis.RedisKey> keys)
    {
        var db = TestRedis.Connection.GetDatabase();
        var exists = await Task.WhenAll(keys.Select(k => db.KeyExistsAsync(k)));
        return exists.Count(e => e);
    }

    private async Task<Reply> PostAsync(string path, string json)
    {
        using var response = await _deployment.Client.PostAsync(new Uri(path, UriKind.Relative), SysCmdHttp.Json(json));
        return await Reply.ReadAsync(response);
    }

    private async Task<Reply[]> SendAllAsync(IReadOnlyList<string> commands, string? query)
    {
        using var gate = new SemaphoreSlim(32);
        return await Task.WhenAll(commands.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                return await SysCmdHttp.PostAsync(_deployment.Client, c, query);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
