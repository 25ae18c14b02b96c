using System.Net;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

/// <summary>
/// <c>POST /sys_cmd/batch</c>: many commands in one request, each answered as <c>POST /sys_cmd</c> would have
/// answered it alone (the malformed batches are in Sending_a_malformed_request).
/// </summary>
[TestFixture]
public sealed class Submitting_a_batch : ApiFixture
{
    private const string From = "batcher";
    private static readonly int[] AsAlone = [200, 409, 422, 202];
    private static readonly int[] DoneThenRunning = [200, 202];

    private async Task<Reply> PostBatchAsync(IEnumerable<string> commands, string? query = null)
    {
        using var response = await Client.PostAsync(new Uri("/sys_cmd/batch" + query, UriKind.Relative), SysCmdHttp.Json("[" + string.Join(",", commands) + "]"));
        return await Reply.ReadAsync(response);
    }

    private static JsonElement[] Items(Reply reply) => [.. reply.Get("jobs").EnumerateArray()];

    [Test]
    public async Task Should_run_every_command_and_answer_each_in_order_in_one_call()
    {
        var ids = Enumerable.Range(0, 50).Select(_ => NewJobId()).ToList();

        var reply = await PostBatchAsync(ids.Select((id, n) => SysCmdHttp.Command(From, id, "echo", $$"""{"n":{{n}}}""")), "?wait=10s");

        var items = Items(reply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(items, Has.Length.EqualTo(ids.Count));
            Assert.That(reply.Get("finished").GetInt32(), Is.EqualTo(ids.Count));
            Assert.That(reply.Get("problems").GetInt32(), Is.Zero);
            for (var n = 0; n < items.Length; n++)
            {
                var job = items[n].GetProperty("job");
                Assert.That(items[n].GetProperty("status").GetInt32(), Is.EqualTo(200), items[n].ToString());
                Assert.That(job.GetProperty("job_id").GetString(), Is.EqualTo(ids[n]), "in the batch's order");
                Assert.That(job.GetProperty("resp").GetString(), Is.EqualTo("data_available"));
                Assert.That(job.GetProperty("data").GetProperty("n").GetInt32(), Is.EqualTo(n));
                Assert.That(job.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
            }
        }
    }

    [Test]
    public async Task Should_answer_each_command_as_sys_cmd_would()
    {
        var (done, conflicting, fresh, unknown) = (NewJobId(), NewJobId(), NewJobId(), NewJobId());
        await PostAsync(SysCmdHttp.Command(From, done, "echo", "\"first\""), "?wait=5s");
        await PostAsync(SysCmdHttp.Command(From, conflicting, "echo", "1"), "?wait=5s");
        var before = await Env.SnapshotAsync(jobsOnly: true);

        var reply = await PostBatchAsync(
        [
            SysCmdHttp.Command(From, done, "echo", "\"first\""),
            SysCmdHttp.Command(From, conflicting, "echo", "2"),
            SysCmdHttp.Command(From, unknown, "no_such_function"),
            SysCmdHttp.Command(From, fresh, "sleep", "2000"),
        ]);

        var items = Items(reply);
        var alone = await PostAsync(SysCmdHttp.Command(From, conflicting, "echo", "2"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(items.Select(i => i.GetProperty("status").GetInt32()), Is.EqualTo(AsAlone), reply.Text);
            Assert.That(items[0].GetProperty("job").GetProperty("data").GetString(), Is.EqualTo("first"), "a re-send reads the finished job");
            Assert.That(items[1].GetProperty("problem").GetProperty("title").GetString(), Is.EqualTo(alone.Field("title")), "the same problem as /sys_cmd alone");
            Assert.That(items[2].GetProperty("problem").GetProperty("status").GetInt32(), Is.EqualTo(422));
            Assert.That(items[3].GetProperty("job").GetProperty("state").GetInt32(), Is.AnyOf(0, 2));
            Assert.That(reply.Get("problems").GetInt32(), Is.EqualTo(2));
            Assert.That((await Env.SnapshotAsync(jobsOnly: true)).ChangesSince(before).Where(k => new[] { done, conflicting, unknown }.Any(id => k.Contains(id, StringComparison.Ordinal))),
                Is.Empty, "the finished, conflicting and unknown-function jobs are left as they were");
        }

        await WaitUntilFinishedAsync(From, fresh);
    }

    [Test]
    public async Task Should_never_run_a_job_twice_when_the_batch_is_sent_again()
    {
        var ids = Enumerable.Range(0, 10).Select(_ => NewJobId()).ToList();
        var commands = ids.Select(id => SysCmdHttp.Command(From, id, "echo", "\"once\"")).ToList();

        var first = await PostBatchAsync(commands, "?wait=10s");
        var again = await PostBatchAsync(commands, "?wait=10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Get("finished").GetInt32(), Is.EqualTo(ids.Count), first.Text);
            Assert.That(again.Get("finished").GetInt32(), Is.EqualTo(ids.Count), again.Text);
            Assert.That(Items(again).Select(i => i.GetProperty("job").GetProperty("attempts").GetInt32()), Is.All.EqualTo(1));
            Assert.That(Items(again).Select(i => i.GetProperty("job").GetProperty("created").GetString()),
                Is.EqualTo(Items(first).Select(i => i.GetProperty("job").GetProperty("created").GetString())), "the same jobs, not new ones");
        }
    }

    [Test]
    public async Task Should_answer_202_for_the_jobs_still_running_when_the_wait_runs_out()
    {
        var (quick, slow) = (NewJobId(), NewJobId());

        var reply = await PostBatchAsync([SysCmdHttp.Command(From, quick, "echo", "1"), SysCmdHttp.Command(From, slow, "sleep", "3000")], "?wait=1s");

        var items = Items(reply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(items.Select(i => i.GetProperty("status").GetInt32()), Is.EqualTo(DoneThenRunning), reply.Text);
            Assert.That(items[1].GetProperty("job").GetProperty("poll").GetString(), Is.EqualTo($"/jobs/{From}/{slow}"));
            Assert.That(reply.Get("finished").GetInt32(), Is.EqualTo(1));
        }

        await WaitUntilFinishedAsync(From, slow);
    }
}
