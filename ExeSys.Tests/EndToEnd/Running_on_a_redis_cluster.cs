using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.EndToEnd;

/// <summary>
/// ExeSys on a real Redis Cluster: three masters sharing the slots, and the API, a controller and a worker as real
/// processes. Every key of a job shares its <c>{job_id}</c> hash tag and every script stays in one slot, so jobs,
/// re-sends, batches, graphs and the original step protocol all work there as on one Redis. A script that named keys
/// of two slots would get CROSSSLOT, and one that touched a key of another node would fail.
/// </summary>
[TestFixture]
public sealed class Running_on_a_redis_cluster
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private RedisCluster _cluster = null!;
    private ExeSysDeployment _deployment = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task Start_the_cluster_and_exesys()
    {
        _cluster = await RedisCluster.StartAsync(TimeSpan.FromSeconds(30));
        var settings = TestSettings.For(TestRedis.NewPrefix("cluster"))
            .With("ExeSys:Functions:DataStore:Database", "0")
            .With("ExeSys:Functions:DataStore:KeyPrefix", "fn:");
        _deployment = await ExeSysDeployment.Build(settings)
            .OnRedis(_cluster.Connection)
            .WithController("controller")
            .WithWorker("worker")
            .WithPlainClient(TimeSpan.FromSeconds(30))
            .WithStartTimeout(StartTimeout)
            .WaitForHealthReady()
            .StartAsync();
        _client = _deployment.Client;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_run_a_job_and_answer_its_re_send()
    {
        var command = SysCmdHttp.Command("on-cluster", Guid.NewGuid().ToString(), "echo", """{"hello":"cluster"}""");

        var reply = await SysCmdHttp.PostAsync(_client, command, "?wait=5s");
        var resent = await SysCmdHttp.PostAsync(_client, command);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Get("data").GetProperty("hello").GetString(), Is.EqualTo("cluster"));
            Assert.That(resent.Status, Is.EqualTo(HttpStatusCode.OK), resent.Text);
            Assert.That(resent.Attempts, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_fail_a_failing_job_with_its_error()
    {
        var reply = await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("on-cluster", Guid.NewGuid().ToString(), "test_error_cmd"), "?wait=5s");

        Assert.That(reply.State, Is.EqualTo(4), reply.Text);
    }

    [Test]
    public async Task Should_run_a_batch_whose_jobs_are_in_many_slots()
    {
        var ids = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString()).ToList();
        using var response = await _client.PostAsync(new Uri("/sys_cmd/batch?wait=10s", UriKind.Relative),
            SysCmdHttp.Json("[" + string.Join(",", ids.Select((id, n) => SysCmdHttp.Command("on-cluster", id, "echo", n.ToString(System.Globalization.CultureInfo.InvariantCulture)))) + "]"));
        var reply = await Reply.ReadAsync(response);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Get("finished").GetInt32(), Is.EqualTo(ids.Count), reply.Text);
            Assert.That(reply.Get("jobs").EnumerateArray().Select(j => j.GetProperty("job").GetProperty("data").GetInt32()), Is.EqualTo(Enumerable.Range(0, ids.Count)));
        }
    }

    [Test]
    public async Task Should_run_a_graph_workflow()
    {
        // sum returns its data plus its predecessors' numeric results; with run data 1: a = 2, b = 12, c = 102, d = 114.
        var id = Guid.NewGuid().ToString();
        using var response = await _client.PostAsync(new Uri("/workflows?wait=10s", UriKind.Relative), SysCmdHttp.Json($$$$"""
            {"from":"on-cluster","job_id":"{{{{id}}}}","data":1,"nodes":{
              "a":{"cmd":"sum","data":1,"next":["b","c"]},"b":{"cmd":"sum","data":10,"next":["d"]},
              "c":{"cmd":"sum","data":100,"next":["d"]},"d":{"cmd":"sum","next":["end_job"]}}}
            """));
        var reply = await Reply.ReadAsync(response);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Get("data").GetInt64(), Is.EqualTo(114), reply.Text);
        }
    }

    [Test]
    public async Task Should_list_jobs_and_runs_in_the_console_from_an_index_in_a_slot_of_its_own()
    {
        // On a cluster no submit script may take the tenant's index (another slot): index_add.lua adds to it.
        var from = "listed-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, 6).Select(n => $"j{n}-{Guid.NewGuid():N}").ToList();
        using (var batch = await _client.PostAsync(new Uri("/sys_cmd/batch", UriKind.Relative),
            SysCmdHttp.Json("[" + string.Join(",", ids.Take(5).Select(id => SysCmdHttp.Command(from, id, "echo", "1"))) + "]")))
        {
            Assert.That((int)batch.StatusCode, Is.LessThan(300));
        }

        Assert.That((await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command(from, ids[5], "echo", "1"))).Code, Is.LessThan(300));
        using (var run = await _client.PostAsync(new Uri("/workflows", UriKind.Relative),
            SysCmdHttp.Json($$"""{"from":"{{from}}","job_id":"run-{{ids[0]}}","nodes":{"a":{"cmd":"echo","next":["end_job"]} } }""")))
        {
            Assert.That((int)run.StatusCode, Is.LessThan(300));
        }

        var jobs = await SysCmdHttp.GetAsync(_client, $"/console/api/jobs?from={from}");
        var runs = await SysCmdHttp.GetAsync(_client, $"/console/api/runs?from={from}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(jobs.Get("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()), Is.EquivalentTo(ids), jobs.Text);
            Assert.That(runs.Get("runs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()), Is.EqualTo(new[] { "run-" + ids[0] }), runs.Text);
        }
    }

    [Test]
    public async Task Should_count_down_a_latch_whose_release_wakes_a_waiter_in_another_slot()
    {
        // The latch, the countdown job, the releasing run and the queue each have a slot of their own.
        var (latch, holder, countdownId) = ("latch-" + Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString());
        var acquired = await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("on-cluster", Guid.NewGuid().ToString(), "wait_acquire", $$"""{"name":"{{latch}}","holder":"{{holder}}"}"""), "?wait=5s");
        await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("on-cluster", countdownId, "wait_countdown", $"\"{latch}\""));
        await _deployment.WaitForJobAsync("on-cluster", countdownId, r => r.State == 1, TimeSpan.FromSeconds(30), "wait_countdown to defer itself");

        // A node past the start reads its latch's name from the run's data.
        using var response = await _client.PostAsync(new Uri("/workflows?wait=10s", UriKind.Relative), SysCmdHttp.Json($$$$"""
            {"from":"on-cluster","job_id":"{{{{Guid.NewGuid()}}}}","data":{"latch":"{{{{latch}}}}"},"nodes":{
              "first":{"cmd":"echo","data":1,"next":["release"]},
              "release":{"cmd":"wait_release","data":{"name":"{start_job.latch}","holder":"{{{{holder}}}}"},"next":["end_job"]}}}
            """));
        var released = await Reply.ReadAsync(response);
        var done = await _deployment.WaitForJobAsync("on-cluster", countdownId, TimeSpan.FromSeconds(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((acquired.State, acquired.Get("data").GetProperty("count").GetInt32()), Is.EqualTo((3, 1)), acquired.Text);
            Assert.That(released.Status, Is.EqualTo(HttpStatusCode.OK), released.Text);
            Assert.That(released.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","holder":"{{holder}}","count":0,"released":true,"woken":1}"""), released.Text);
            Assert.That(done.Get("data").GetRawText(), Is.EqualTo($$"""{"latch":"{{latch}}","count":0}"""), done.Text);
        }
    }

    [Test]
    public async Task Should_run_the_original_step_protocol()
    {
        var id = Guid.NewGuid().ToString();
        void Step(HttpRequestMessage m) => m.Headers.Add("Operation", "workflow");
        await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("step1", id, "test_cmd_workflow", """["k",0]""", "step2"));
        await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("step2", id, "test_cmd_workflow", """["k",5]""", "step3"), configure: Step);
        await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("step3", id, "test_cmd_workflow", """["k",10]""", "end_job"), configure: Step);

        var last = await SysCmdHttp.PostAsync(_client, SysCmdHttp.Command("step3", id, "test_cmd_workflow", """["k",10]""", "end_job"), "?wait=10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.Status, Is.EqualTo(HttpStatusCode.OK), last.Text);
            Assert.That(last.Get("data")[1].GetInt32(), Is.EqualTo(11), last.Text);
        }
    }
}
