using System.Globalization;
using System.Net;
using ExeSys.Core.Configuration;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

/// <summary>
/// <c>POST /sys_cmd/batch</c> with <c>ExeSys:Api:MaxBatchCommands</c> at its upper bound: a batch of that many
/// commands, and concurrent batches whose enqueues the API merges into shared calls, each enqueue more jobs than one
/// Lua unpack() takes (7,999 values, two per job). Once they failed with a 500 after the jobs were written, leaving
/// them in state 0 and off the queue. One command over the setting is refused, and nothing is written.
/// </summary>
[TestFixture]
public sealed class Submitting_at_the_size_limits : ApiFixture
{
    private const string From = "limits";
    private const int MaxCommands = ScriptLimits.MaxBatchCommands;

    protected override TestSettings Configure(TestSettings settings) => settings
        .With("ExeSys:Api:MaxBatchCommands", MaxCommands.ToString(CultureInfo.InvariantCulture))
        .With("ExeSys:Api:MaxWait", "00:02:00")
        .With("ExeSys:Worker:Concurrency", "256");

    private async Task<Reply> PostBatchAsync(IReadOnlyList<string> ids, string? query = null)
    {
        var commands = ids.Select((id, n) => SysCmdHttp.Command(From, id, "echo", n.ToString(CultureInfo.InvariantCulture)));
        using var response = await Client.PostAsync(new Uri("/sys_cmd/batch" + query, UriKind.Relative), SysCmdHttp.Json("[" + string.Join(",", commands) + "]"));
        return await Reply.ReadAsync(response);
    }

    private static List<string> NewIds(int count) => [.. Enumerable.Range(0, count).Select(_ => NewJobId())];

    /// <summary>Every command of the batch finished (200), in order, with its own data as its EOJ.</summary>
    private static void AssertAllFinished(Reply reply, List<string> ids)
    {
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text[..Math.Min(2000, reply.Text.Length)]);
        var items = reply.Get("jobs").EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(items, Has.Count.EqualTo(ids.Count));
            Assert.That(reply.Get("finished").GetInt32(), Is.EqualTo(ids.Count));
            Assert.That(items.Select(i => i.GetProperty("status").GetInt32()), Is.All.EqualTo(200));
            Assert.That(items.Select(i => i.GetProperty("job").GetProperty("job_id").GetString()), Is.EqualTo(ids));
            Assert.That(items.Select((i, n) => i.GetProperty("job").GetProperty("data").GetInt32() == n), Is.All.True);
        }
    }

    [Test]
    public async Task Should_run_a_batch_of_the_most_commands_the_setting_allows()
    {
        var ids = NewIds(MaxCommands);

        var reply = await PostBatchAsync(ids, "?wait=90s");

        AssertAllFinished(reply, ids);
    }

    [Test]
    public async Task Should_run_every_command_of_concurrent_batches_whose_enqueues_are_merged()
    {
        var batches = Enumerable.Range(0, 8).Select(_ => NewIds(1000)).ToList();

        var replies = await Task.WhenAll(batches.Select(ids => PostBatchAsync(ids, "?wait=90s")));

        for (var b = 0; b < batches.Count; b++)
        {
            AssertAllFinished(replies[b], batches[b]);
        }
    }

    [Test]
    public async Task Should_refuse_a_batch_one_command_over_the_setting_and_write_nothing()
    {
        var ids = NewIds(MaxCommands + 1);
        var before = await Env.SnapshotAsync(jobsOnly: true);

        var reply = await PostBatchAsync(ids);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(reply.Field("detail"), Does.Contain(MaxCommands.ToString(CultureInfo.InvariantCulture)).And.Contain("ExeSys:Api:MaxBatchCommands"));
            Assert.That((await Env.SnapshotAsync(jobsOnly: true)).ChangesSince(before), Is.Empty, "no job of the batch is written");
        }
    }
}
