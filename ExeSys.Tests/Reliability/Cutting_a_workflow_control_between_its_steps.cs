using System.Globalization;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Two graph-run operations span more than one hash slot, so Redis can fail between their steps, and the client, who
/// got an error, sends the same request again. The re-send must heal what the first left half done:
/// <list type="bullet">
/// <item>a resume clears the paused nodes' marks in the run's slot, then enqueues them in the queue's slot;</item>
/// <item>a submit writes the run, enqueues its start nodes, then remembers the run under its client
/// (<c>P:runs:{from}</c>) for cancel-all, in the client's slot.</item>
/// </list>
/// As in <see cref="Cutting_a_submit_between_its_two_steps"/>, Redis's ACL denies one slot's keys for the first try
/// (on a Redis of the fixture's own: the shared one must not change its ACL under other tests).
/// </summary>
[TestFixture]
public sealed class Cutting_a_workflow_control_between_its_steps
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private PersistentRedis _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private ExeSysDeployment _deployment = null!;

    private string Prefix => _deployment.Settings.Prefix;

    [OneTimeSetUp]
    public async Task Start_exesys_on_a_redis_of_its_own()
    {
        _redis = await PersistentRedis.StartAsync();
        _connection = await _redis.ConnectAsync();
        // Leases longer than the tests' waits: the re-send must heal the run, not a lease recovery that happens to pass by.
        var settings = TestSettings.For(TestRedis.NewPrefix("cutwf")).With("ExeSys:Jobs:LeaseDuration", "00:01:00");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_redis.Endpoint, _connection).StartAsync();
        var worker = _deployment.StartWorker("cutwf-worker");
        var controller = _deployment.StartController("cutwf-controller");
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
    public async Task Should_run_a_paused_run_whose_re_sent_resume_follows_one_cut_before_its_enqueue()
    {
        var (from, id) = ("cutwf", NewId("resume"));
        var run = $$"""
            {"from": "{{from}}", "job_id": "{{id}}", "nodes": {
              "first": {"cmd": "sleep", "data": 500, "next": ["second"]},
              "second": {"cmd": "echo", "data": "resumed", "next": ["end_job"]} } }
            """;
        Assert.That((await _deployment.PostAsync("/workflows", run)).Code, Is.EqualTo(202));
        await Eventually.WaitForAsync(() => _deployment.StatusAsync("first", id), s => s.GetValueOrDefault("st") == "2", Within, "the first node to run");
        var paused = await _deployment.PostAsync($"/workflows/{from}/{id}/pause");
        // The first node finishes while the run is paused: the second is promoted, claimed, and held (not started).
        await Eventually.WaitForAsync(() => _deployment.StatusAsync("second", id), s => s.ContainsKey("held"), Within, "the second node to be held");

        var cut = await WithKeysOnlyOfAsync([JobSlot(id), Registry], () => _deployment.PostAsync($"/workflows/{from}/{id}/resume"));
        var resent = await _deployment.PostAsync($"/workflows/{from}/{id}/resume");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.Code, Is.EqualTo(200), paused.Text);
            Assert.That(cut.Code, Is.Not.InRange(200, 299), "the cut resume must not be acknowledged: " + cut.Text);
            Assert.That(resent.Code, Is.EqualTo(200), resent.Text);
        }

        var done = await Eventually.WaitForAsync(() => _deployment.GetAsync($"/workflows/{from}/{id}"), r => r.Field("phase") is "done" or "failed", Within,
            "the resumed run to finish");
        Assert.That(done.Get("run").GetProperty("data").GetString(), Is.EqualTo("resumed"), done.Text);
    }

    [Test]
    public async Task Should_cancel_all_runs_of_a_client_including_one_whose_submit_was_cut_before_it_was_tracked()
    {
        var (from, id) = (NewId("owner"), NewId("cancelall"));
        var run = $$"""{"from": "{{from}}", "job_id": "{{id}}", "nodes": {"long": {"cmd": "sleep", "data": 60000, "next": ["end_job"]} } }""";

        var cut = await WithKeysOnlyOfAsync([JobSlot(id), Registry, Queue], () => _deployment.PostAsync("/workflows", run));
        var resent = await _deployment.PostAsync("/workflows", run);
        var cancelled = await _deployment.PostAsync($"/workflows/{from}/cancel");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cut.Code, Is.Not.InRange(200, 299), "the cut submit must not be acknowledged: " + cut.Text);
            Assert.That(resent.Code, Is.EqualTo(202), resent.Text);
            Assert.That(cancelled.Code, Is.EqualTo(200), cancelled.Text);
            Assert.That(cancelled.Get("cancelled").EnumerateArray().Select(e => e.GetString()).ToArray(), Is.EqualTo(new[] { id }), cancelled.Text);
        }

        var ended = await Eventually.WaitForAsync(() => _deployment.GetAsync($"/workflows/{from}/{id}"), r => r.Field("phase") is "cancelled", Within,
            "the run to be cancelled");
        Assert.That(ended.Get("run").GetProperty("state").GetInt32(), Is.EqualTo(4), ended.Text);
    }

    private string JobSlot(string jobId) => $"~{Prefix}:*:{{{jobId}}}:*|~{Prefix}:{{{jobId}}}:*";

    private string Registry => $"~{Prefix}:{{registry}}:*";

    private string Queue => $"~{Prefix}:{{queue}}:*";

    /// <summary>Runs <paramref name="request"/> while every process may touch only the keys of <paramref name="patterns"/>.</summary>
    private Task<Reply> WithKeysOnlyOfAsync(string[] patterns, Func<Task<Reply>> request) =>
        _connection.WithKeysOnlyAsync(patterns.SelectMany(p => p.Split('|')), request);

    private static string NewId(string hint) => string.Create(CultureInfo.InvariantCulture, $"{hint}-{Guid.NewGuid():N}");
}
