using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// A submit is two scripts in two hash slots: write the job (state 0), then put it on the queue. When Redis fails
/// between the two (a restart, a dropped connection, a failover), the client gets an error and, as the README says,
/// sends the command again; the re-send is accepted. An accepted job must then run, whether the client polls by
/// re-sending or by GET. To cut exactly between the two steps, Redis's ACL briefly denies the queue's keys (on a
/// Redis of the fixture's own: the shared one must not change its ACL under other tests). On a single Redis a submit
/// is one script (ExeSys:Redis:CombineSlots), which the ACL refuses whole; this fixture turns that off, so it cuts the
/// two-script submit that Redis Cluster gets.
/// </summary>
[TestFixture]
public sealed class Cutting_a_submit_between_its_two_steps
{
    private static readonly TimeSpan RunWithin = TimeSpan.FromSeconds(15);
    private PersistentRedis _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private ExeSysDeployment _deployment = null!;

    [OneTimeSetUp]
    public async Task Start_exesys_on_a_redis_of_its_own()
    {
        _redis = await PersistentRedis.StartAsync();
        _connection = await _redis.ConnectAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("cut")).With("ExeSys:Redis:CombineSlots", "false");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_redis.Endpoint, _connection).StartAsync();
        var worker = _deployment.StartWorker("cut-worker");
        var controller = _deployment.StartController("cut-controller");
        await _deployment.WaitForWorkerAsync(worker);
        await _deployment.WaitForControllerAsync(controller);
    }

    [OneTimeTearDown]
    public async Task Stop_everything()
    {
        await _deployment.DisposeAsync();
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Test]
    public async Task Should_run_a_job_whose_re_send_was_accepted()
    {
        var command = SysCmdHttp.Command("cut", "gap-job", "echo", "\"cut short\"");
        var failed = await WithTheQueueDeniedAsync("gap-job", () => SysCmdHttp.PostAsync(_deployment.Client, command));
        var resent = await SysCmdHttp.PostAsync(_deployment.Client, command);

        Assert.That(failed.Code, Is.Not.InRange(200, 299), "the cut submit must not be acknowledged");
        Assert.That(resent.Code, Is.EqualTo(202), resent.Text);
        var done = await Eventually.WaitForAsync(() => _deployment.GetJobAsync("cut", "gap-job"), r => r.Code == 200 && r.State == 3, RunWithin,
            "the accepted job to run (polled by GET)");
        Assert.That(done.Get("data").GetString(), Is.EqualTo("cut short"));
    }

    [Test]
    public async Task Should_run_a_workflow_whose_re_send_was_accepted()
    {
        var run = new JsonObject
        {
            ["from"] = "cutflows",
            ["job_id"] = "gap-run",
            ["data"] = 1,
            ["nodes"] = new JsonObject { ["only"] = new JsonObject { ["cmd"] = "sum", ["data"] = 1, ["next"] = new JsonArray("end_job") } },
        }.ToJsonString();
        var failed = await WithTheQueueDeniedAsync("gap-run", () => PostWorkflowAsync(run));
        var resent = await PostWorkflowAsync(run);

        Assert.That(failed.Code, Is.Not.InRange(200, 299), "the cut submit must not be acknowledged");
        Assert.That(resent.Code, Is.EqualTo(202), resent.Text);
        var done = await Eventually.WaitForAsync(() => SysCmdHttp.GetAsync(_deployment.Client, "/workflows/cutflows/gap-run"),
            r => r.Code == 200 && r.Field("phase") == "done", RunWithin, "the accepted workflow to run");
        Assert.That(done.Get("run").GetProperty("data").GetInt32(), Is.EqualTo(2));
    }

    /// <summary>Runs <paramref name="submit"/> while the ExeSys processes may touch the job's keys and the registry, but not the queue.</summary>
    private Task<Reply> WithTheQueueDeniedAsync(string jobId, Func<Task<Reply>> submit)
    {
        var prefix = _deployment.Settings.Prefix;
        return _connection.WithKeysOnlyAsync([$"~{prefix}:*:{{{jobId}}}:*", $"~{prefix}:{{{jobId}}}:*", $"~{prefix}:{{registry}}:*"], submit);
    }

    private async Task<Reply> PostWorkflowAsync(string json)
    {
        using var response = await _deployment.Client.PostAsync(new Uri("/workflows", UriKind.Relative), SysCmdHttp.Json(json));
        return await Reply.ReadAsync(response);
    }
}
