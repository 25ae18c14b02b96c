using System.Text.Json;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// GET /console/api/jobs and /console/api/runs on the real pipeline and a real redis-server: the tenant's recent jobs
/// and runs from the indexes submits keep, each filter, paging with a cursor, and a 400 naming the field that leaves
/// Redis unchanged.
/// </summary>
[TestFixture]
public sealed class Listing_jobs_and_runs_for_the_console : ApiFixture
{
    private readonly string _from = "con-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _echoes = [];
    private string _failed = "";
    private DateTimeOffset _firstSubmitted;

    [OneTimeSetUp]
    public async Task Submit_some_jobs_and_wait_for_their_ends()
    {
        _firstSubmitted = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 5; i++)
        {
            var id = $"order-{i}-{Guid.NewGuid():N}";
            _echoes.Add(id);
            Assert.That((await PostAsync(SysCmdHttp.Command(_from, id, "echo", "1"))).Code, Is.LessThan(300));
        }

        _failed = "broken-" + Guid.NewGuid().ToString("N");
        Assert.That((await PostAsync(SysCmdHttp.Command(_from, _failed, "fail", """{"message":"disk full"}"""))).Code, Is.LessThan(300));
        foreach (var id in _echoes.Append(_failed))
        {
            await WaitUntilFinishedAsync(_from, id);
        }
    }

    private static List<JsonElement> Jobs(Reply reply) => [.. reply.Get("jobs").EnumerateArray()];

    private static List<string> Ids(Reply reply) => [.. Jobs(reply).Select(j => j.GetProperty("job_id").GetString()!)];

    [Test]
    public async Task Should_list_the_tenants_jobs_newest_first_with_their_state()
    {
        var reply = await GetAsync($"/console/api/jobs?from={_from}");
        var failed = Jobs(reply).Single(j => j.GetProperty("job_id").GetString() == _failed);
        Assert.Multiple(() =>
        {
            Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
            Assert.That(Ids(reply), Is.EqualTo(_echoes.Append(_failed).Reverse().ToList()), "newest first");
            Assert.That(failed.GetProperty("state").GetInt32(), Is.EqualTo(4));
            Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("error"));
            Assert.That(failed.GetProperty("cmd").GetString(), Is.EqualTo("fail"));
            Assert.That(failed.GetProperty("queue").GetString(), Is.EqualTo("default"));
            Assert.That(failed.GetProperty("error").GetString(), Does.Contain("disk full"));
            Assert.That(failed.TryGetProperty("finished", out _), Is.True);
            Assert.That(reply.Get("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null), "nothing older");
        });
    }

    [TestCase("state=4")]
    [TestCase("state=error")]
    [TestCase("cmd=fail")]
    [TestCase("prefix=broken-")]
    public async Task Should_find_the_failed_job_alone_by(string filter)
    {
        var reply = await GetAsync($"/console/api/jobs?from={_from}&{filter}");
        Assert.That(Ids(reply), Is.EqualTo(new[] { _failed }), reply.Text);
    }

    [Test]
    public async Task Should_filter_by_state_queue_and_time_range()
    {
        var done = await GetAsync($"/console/api/jobs?from={_from}&state=data_available&queue=default");
        var otherQueue = await GetAsync($"/console/api/jobs?from={_from}&queue=elsewhere");
        var since = Uri.EscapeDataString(_firstSubmitted.ToString("O"));
        var inRange = await GetAsync($"/console/api/jobs?from={_from}&since={since}");
        var before = await GetAsync($"/console/api/jobs?from={_from}&until={since}");
        var future = await GetAsync($"/console/api/jobs?from={_from}&since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}");
        Assert.Multiple(() =>
        {
            Assert.That(Ids(done), Is.EquivalentTo(_echoes), done.Text);
            Assert.That(Ids(otherQueue), Is.Empty);
            Assert.That(Ids(inRange), Has.Count.EqualTo(6));
            Assert.That(Ids(before), Is.Empty);
            Assert.That(Ids(future), Is.Empty);
        });
    }

    [Test]
    public async Task Should_page_with_a_cursor_without_repeats_or_gaps()
    {
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var reply = await GetAsync($"/console/api/jobs?from={_from}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
            seen.AddRange(Ids(reply));
            cursor = reply.Get("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.That(seen, Is.EqualTo(_echoes.Append(_failed).Reverse().ToList()));
    }

    [Test]
    public async Task Should_list_a_graph_run_with_its_phase_and_keep_its_nodes_out_of_the_jobs()
    {
        var run = "run-" + Guid.NewGuid().ToString("N");
        var submitted = await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/workflows", $$"""{"from":"{{_from}}","job_id":"{{run}}","nodes":{"a":{"cmd":"echo","data":1,"next":["end_job"]} } }""");
        Assert.That(submitted.Code, Is.LessThan(300), submitted.Text);
        await Eventually.WaitForAsync(() => GetAsync($"/console/api/runs?from={_from}&phase=done"),
            r => r.Code == 200 && r.Get("runs").EnumerateArray().Any(x => x.GetProperty("job_id").GetString() == run), TimeSpan.FromSeconds(20), "the run to end");

        var runs = await GetAsync($"/console/api/runs?from={_from}");
        var listed = runs.Get("runs").EnumerateArray().Single(x => x.GetProperty("job_id").GetString() == run);
        var jobs = await GetAsync($"/console/api/jobs?prefix={run}");
        var running = await GetAsync($"/console/api/runs?from={_from}&phase=running");
        Assert.Multiple(() =>
        {
            Assert.That(listed.GetProperty("phase").GetString(), Is.EqualTo("done"));
            Assert.That(listed.GetProperty("state").GetInt32(), Is.EqualTo(3));
            Assert.That(listed.GetProperty("nodes").GetInt32(), Is.EqualTo(1));
            Assert.That(Ids(jobs), Is.Empty, "graph nodes are listed under their run, not as jobs");
            Assert.That(running.Get("runs").GetArrayLength(), Is.Zero);
        });
    }

    [TestCase("/console/api/jobs?state=9", "state")]
    [TestCase("/console/api/jobs?state=failed", "state")]
    [TestCase("/console/api/jobs?from=a%3Ab", "from")]
    [TestCase("/console/api/jobs?cmd=a%20b", "cmd")]
    [TestCase("/console/api/jobs?queue=Not_A_Queue!", "queue")]
    [TestCase("/console/api/jobs?prefix=%7Bx%7D", "prefix")]
    [TestCase("/console/api/jobs?limit=0", "limit")]
    [TestCase("/console/api/jobs?limit=501", "limit")]
    [TestCase("/console/api/jobs?limit=ten", "limit")]
    [TestCase("/console/api/jobs?since=yesterday", "since")]
    [TestCase("/console/api/jobs?until=2026-13-45", "until")]
    [TestCase("/console/api/jobs?cursor=not-a-cursor", "cursor")]
    [TestCase("/console/api/runs?phase=exploded", "phase")]
    [TestCase("/console/api/runs?cursor=%21%21", "cursor")]
    [TestCase("/console/api/runs?limit=-1", "limit")]
    public async Task Should_refuse_a_bad_parameter_with_a_400_naming_it_and_leave_redis_unchanged(string path, string field)
    {
        var before = await Env.SnapshotAsync(jobsOnly: false);
        var reply = await GetAsync(path);
        var after = await Env.SnapshotAsync(jobsOnly: false);
        Assert.Multiple(() =>
        {
            Assert.That(reply.Code, Is.EqualTo(400), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Get("errors").TryGetProperty(field, out _), Is.True, reply.Text);
            Assert.That(after.ChangesSince(before).Where(c => c.Contains(":{recent:", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public void Should_read_back_the_cursor_it_writes()
    {
        var cursor = RedisJobIndex.EncodeCursor("1765000000123-7");
        Assert.That(RedisJobIndex.DecodeCursor(cursor), Is.EqualTo((1_765_000_000_123L, 7L)));
    }

    [Test]
    public async Task Should_keep_the_submit_order_of_jobs_created_in_the_same_millisecond()
    {
        // One batch request: its jobs are created within a millisecond or two, so a list ordered by created time
        // alone would order them by job_id. The index's stream ids keep the order they were added in.
        var from = "same-ms-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, 20).Select(i => $"{(char)('z' - i)}-{Guid.NewGuid():N}").ToList();
        var body = "[" + string.Join(',', ids.Select(id => SysCmdHttp.Command(from, id, "echo", "1"))) + "]";
        var batch = await KeyedHttp.SendAsync(Client, null, HttpMethod.Post, "/sys_cmd/batch", body);
        Assert.That(batch.Code, Is.LessThan(300), batch.Text);

        var reply = await GetAsync($"/console/api/jobs?from={from}");
        Assert.That(Ids(reply), Is.EqualTo(ids.AsEnumerable().Reverse().ToList()), reply.Text);
    }
}
