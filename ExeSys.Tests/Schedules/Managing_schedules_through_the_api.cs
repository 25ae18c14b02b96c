using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Schedules;

/// <summary>
/// The /schedules endpoints and the delayed-job fields of /sys_cmd on the API's real pipeline: a schedule's life
/// (create, read with its next fire times, pause, resume, trigger, list, update, delete), and every bad field refused
/// with a 400 that names it while Redis stays as it was.
/// </summary>
[TestFixture]
public sealed class Managing_schedules_through_the_api : ApiFixture
{
    protected override bool WithWorker => false;

    private static string Schedule(string name, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["cron"] = "0 */5 * * * *",
            ["time_zone"] = "Europe/Rome",
            ["command"] = new JsonObject { ["from"] = "reports", ["to"] = "end_job", ["cmd"] = "echo", ["data"] = new JsonObject { ["kind"] = "daily" } },
        };
        change?.Invoke(body);
        return body.ToJsonString();
    }

    private async Task<Reply> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = SysCmdHttp.Json(json);
        }
        else if (method == HttpMethod.Post)
        {
            // Every POST says application/json, even without a body (the API answers 415 otherwise).
            request.Content = SysCmdHttp.EmptyJson();
        }

        using var response = await Client.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    [Test]
    public async Task Should_create_read_pause_resume_trigger_list_update_and_delete_a_schedule()
    {
        var created = await SendAsync(HttpMethod.Post, "/schedules", Schedule("every-5m"));
        Assert.That(created.Code, Is.EqualTo(201), created.Text);
        var next = created.Get("next_fire_times").EnumerateArray().Select(t => t.GetDateTimeOffset()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(next, Has.Count.EqualTo(5));
            Assert.That(next.Zip(next.Skip(1)).All(p => p.Second - p.First == TimeSpan.FromMinutes(5)), Is.True, created.Text);
            Assert.That(next.All(t => t.Minute % 5 == 0 && t.Second == 0), Is.True, created.Text);
        }

        Assert.That((await SendAsync(HttpMethod.Post, "/schedules", Schedule("every-5m"))).Code, Is.EqualTo(409), "a second create of the name");

        var paused = await SendAsync(HttpMethod.Post, "/schedules/every-5m/pause");
        Assert.That((paused.Code, paused.Get("paused").GetBoolean(), paused.Get("next_fire_times").GetArrayLength()), Is.EqualTo((200, true, 0)), paused.Text);
        var resumed = await SendAsync(HttpMethod.Post, "/schedules/every-5m/resume");
        Assert.That((resumed.Code, resumed.Get("paused").GetBoolean(), resumed.Get("next_fire_times").GetArrayLength()), Is.EqualTo((200, false, 5)), resumed.Text);

        var triggered = await SendAsync(HttpMethod.Post, "/schedules/every-5m/trigger");
        Assert.That(triggered.Code, Is.EqualTo(202), triggered.Text);
        Assert.That(triggered.Get("job_id").GetString(), Does.Match(@"^every-5m\.\d{8}T\d{6}Z$"));

        var updated = await SendAsync(HttpMethod.Put, "/schedules/every-5m", Schedule("every-5m", b => { b.Remove("cron"); b["interval"] = "90s"; }));
        Assert.That((updated.Code, updated.Get("interval").GetString()), Is.EqualTo((200, "90s")), updated.Text);

        var list = await SendAsync(HttpMethod.Get, "/schedules?limit=10");
        Assert.That(list.Get("schedules").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Does.Contain("every-5m"));

        Assert.That((await SendAsync(HttpMethod.Delete, "/schedules/every-5m")).Code, Is.EqualTo(204));
        Assert.That((await SendAsync(HttpMethod.Get, "/schedules/every-5m")).Code, Is.EqualTo(404));
    }

    [Test]
    public async Task Should_show_schedule_examples_in_swagger()
    {
        var document = await SendAsync(HttpMethod.Get, "/swagger/v1/swagger.json");
        var create = document.Get("paths").GetProperty("/schedules").GetProperty("post");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(create.GetProperty("requestBody").GetRawText(), Does.Contain("nightly-report").And.Contain("cancel_previous"));
            Assert.That(create.GetProperty("responses").GetProperty("400").GetRawText(), Does.Contain("time_zone"));
            Assert.That(document.Get("paths").GetProperty("/schedules/{name}/trigger").GetRawText(), Does.Contain("nightly-report.20261206T211502Z"));
            Assert.That(document.Text, Does.Contain("run_at"), "the delayed-job examples of /sys_cmd");
        }
    }

    private static readonly (string Field, Action<JsonObject> Change)[] BadSchedules =
    [
        ("cron", b => b["cron"] = "61 * * * *"),
        ("cron", b => b["cron"] = "* * *"),
        ("cron", b => b["interval"] = "5m"),
        ("interval", b => { b.Remove("cron"); b["interval"] = "0s"; }),
        ("time_zone", b => b["time_zone"] = "Mars/Olympus_Mons"),
        ("end", b => { b["start"] = "2027-01-02T00:00:00Z"; b["end"] = "2027-01-01T00:00:00Z"; }),
        ("end", b => { b["cron"] = "0 0 1 1 *"; b["start"] = "2027-01-02T00:00:00Z"; b["end"] = "2027-06-01T00:00:00Z"; }),
        ("cron", b => b["cron"] = "0 0 30 2 *"),
        ("start", b => b["start"] = "2027-01-02T00:00:00"),
        ("overlap", b => b["overlap"] = "cancel_previous"),
        ("misfire", b => b["misfire"] = "sometimes"),
        ("jitter", b => b["jitter"] = "2h"),
        ("command.cmd", b => b["command"]!["cmd"] = "no spaces"),
        ("workflow.name", b => { b.Remove("command"); b["workflow"] = new JsonObject { ["from"] = "reports", ["name"] = "never-registered" }; }),
        ("name", b => b["name"] = "has:colon"),
    ];

    [Test]
    public async Task Should_refuse_each_bad_schedule_field_with_a_400_naming_it_and_leave_redis_unchanged()
    {
        var before = await Env.SnapshotAsync(jobsOnly: true);
        foreach (var (field, change) in BadSchedules)
        {
            var reply = await SendAsync(HttpMethod.Post, "/schedules", Schedule("bad-one", change));
            Assert.That(reply.Code, Is.EqualTo(400), $"{field}: {reply.Text}");
            Assert.That(reply.Get("errors").TryGetProperty(field, out _), Is.True, $"the 400 names '{field}': {reply.Text}");
        }

        var after = await Env.SnapshotAsync(jobsOnly: true);
        Assert.That(after.ChangesSince(before), Is.Empty, "Redis changed under the prefix");
    }

    [TestCase("run_at", "\"tomorrow\"")]
    [TestCase("run_at", "\"2027-01-01T10:00:00\"")]
    [TestCase("run_at", "\"2999-01-01T10:00:00Z\"")]
    [TestCase("delay", "\"soon\"")]
    [TestCase("delay", "\"-5s\"")]
    [TestCase("delay", "\"400d\"")]
    [TestCase("delay", "30")]
    public async Task Should_refuse_a_bad_run_at_or_delay_with_a_400_naming_it_and_leave_redis_unchanged(string field, string value)
    {
        var before = await Env.SnapshotAsync(jobsOnly: true);
        var command = JsonNode.Parse(SysCmdHttp.Command("delayer", NewJobId(), "echo"))!.AsObject();
        command[field] = JsonNode.Parse(value);
        var reply = await PostAsync(command.ToJsonString());
        var after = await Env.SnapshotAsync(jobsOnly: true);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Code, Is.EqualTo(400), reply.Text);
            Assert.That(reply.Get("errors").TryGetProperty(field, out _), Is.True, reply.Text);
            Assert.That(after.ChangesSince(before), Is.Empty, "Redis changed under the prefix");
        }
    }
}
