using System.Globalization;
using System.Text.Json.Nodes;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using StackExchange.Redis;

namespace ExeSys.Tests.Schedules;

/// <summary>
/// Schedules and delayed jobs on real controller processes (ticking every 200 ms, as the test settings have it): three
/// controllers fire one schedule, one of them killed and restarted midway, and a delayed job starts on time.
/// </summary>
[TestFixture]
public sealed class Firing_schedules_on_controller_processes : ProcessFixture
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    // A killed controller's held schedule is taken up by another after this.
    protected override TestSettings Configure(TestSettings settings) => settings.With("ExeSys:Schedules:Lease", "00:00:01");

    private async Task<Reply> CreateAsync(string json)
    {
        using var response = await Api.Client.PostAsync(new Uri("/schedules", UriKind.Relative), SysCmdHttp.Json(json));
        return await Reply.ReadAsync(response);
    }

    [Test]
    public async Task Should_create_exactly_one_job_per_firing_while_one_of_three_controllers_is_killed_and_restarted()
    {
        var controllers = Enumerable.Range(1, 3).Select(i => Processes.Start(ExeSysRole.Controller, $"controller-{i}", Settings)).ToList();
        foreach (var c in controllers)
        {
            await Deployment.WaitForControllerAsync(c);
        }

        // Every second for 10 s: ten fire times, start .. start + 9 s.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3);
        var end = start.AddSeconds(9);
        var created = await CreateAsync(new JsonObject
        {
            ["name"] = "tick",
            ["interval"] = "1s",
            ["start"] = start.ToString("O", CultureInfo.InvariantCulture),
            ["end"] = end.ToString("O", CultureInfo.InvariantCulture),
            ["overlap"] = "allow_all",
            ["command"] = new JsonObject { ["from"] = "ticker", ["to"] = "end_job", ["cmd"] = "echo", ["data"] = "tock" },
        }.ToJsonString());
        Assert.That(created.Code, Is.EqualTo(201), created.Text);

        await Eventually.WaitForAsync(() => DateTimeOffset.UtcNow >= start.AddSeconds(4), TimeSpan.FromSeconds(30), "the schedule to be firing for 4 s");
        controllers[0].Crash();
        await controllers[0].WaitForExitAsync(TimeSpan.FromSeconds(10));
        Processes.Start(ExeSysRole.Controller, "controller-1-again", Settings);

        var expected = Enumerable.Range(0, 10).Select(i => ScheduleTimes.JobId("tick", start.AddSeconds(i).ToUnixTimeMilliseconds())).ToList();
        var shown = await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(Api.Client, "/schedules/tick"),
            r => r.Code == 200 && r.Get("last_runs").GetArrayLength() == 10 && r.Get("next_fire_times").GetArrayLength() == 0,
            TimeSpan.FromSeconds(60),
            "the schedule to have fired ten times and ended");

        var jobs = new List<string>();
        var server = Deployment.Redis.GetServer(Deployment.Redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: $"{Settings.Prefix}:ticker:*:status"))
        {
            var k = (string)key!;
            jobs.Add(k[(k.IndexOf('{', StringComparison.Ordinal) + 1)..k.IndexOf('}', StringComparison.Ordinal)]);
        }

        var runs = shown.Get("last_runs").EnumerateArray().Select(r => (r.GetProperty("job_id").GetString(), r.GetProperty("outcome").GetString())).Reverse().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(jobs.Order(StringComparer.Ordinal), Is.EqualTo(expected), "exactly one job per fire time, none missing, none more");
            Assert.That(runs, Is.EqualTo(expected.Select(id => ((string?)id, (string?)"started"))), "each firing recorded once, in order");
        }
    }

    [Test]
    public async Task Should_start_a_delayed_job_after_its_time_and_within_one_tick()
    {
        Processes.Start(ExeSysRole.Worker, "worker", Settings);
        await Deployment.WaitForControllerAsync(Processes.Start(ExeSysRole.Controller, "controller", Settings));
        await WaitForReadyAsync(workers: 1, controllers: 1);

        var submitted = await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Delayed("later", "in-two-seconds", "echo", "\"hello\"", "2s"));
        Assert.That((submitted.Code, submitted.State), Is.EqualTo((202, 1)), submitted.Text);
        var runAt = submitted.Get("retry_at").GetDateTimeOffset();

        var done = await WaitForJobAsync("later", "in-two-seconds", r => r.State == 3, TimeSpan.FromSeconds(30), "the delayed job to run");
        var startedMs = (long)await Deployment.Redis.GetDatabase().HashGetAsync(Deployment.Keys.Status(new JobRef("later", "in-two-seconds")), "sa");
        var late = DateTimeOffset.FromUnixTimeMilliseconds(startedMs) - runAt;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.Get("data").GetString(), Is.EqualTo("hello"));
            Assert.That(late, Is.GreaterThanOrEqualTo(TimeSpan.Zero), "never before its time");
            // One tick, plus room for a loaded machine's claim and start (the bench measures the lateness itself).
            Assert.That(late, Is.LessThan(Tick + TimeSpan.FromSeconds(1)), $"started {late.TotalMilliseconds} ms after its time");
        }
    }
}
