using System.Net;
using System.Text.Json;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Protocol;

[TestFixture]
public sealed class Re_sending_a_job : ApiFixture
{
    [Test]
    public async Task Should_never_start_it_twice()
    {
        var id = NewJobId();
        var command = SysCmdHttp.Command("resender", id, "sleep", "300");
        var first = await PostAsync(command);

        // Re-sends race the worker while it runs the job: none may start it again.
        var resends = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => PostAsync(command)));
        var finished = await WaitUntilFinishedAsync("resender", id);
        var after = await PostAsync(command);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.Accepted), first.Text);
            Assert.That(resends.Select(r => r.Code), Is.All.AnyOf(200, 202));
            Assert.That(resends.Select(r => r.State), Is.All.AnyOf(0, 2, 3));
            Assert.That(resends.Where(r => r.Code == 202).Select(r => r.Location), Is.All.Null, "only a new job gets a Location");
            Assert.That(finished.State, Is.EqualTo(3), finished.Text);
            Assert.That(finished.Attempts, Is.EqualTo(1), "the job ran more than once");
            Assert.That(after.Attempts, Is.EqualTo(1), "a re-send after the end ran the job again");
        }
    }

    [Test]
    public async Task Should_answer_200_with_data_available_and_the_EOJ_once_finished()
    {
        var id = NewJobId();
        const string Data = """{"a":[1,2,{"b":null}],"s":"senatoremonti","n":-1.5}""";
        var command = SysCmdHttp.Command("resender", id, "echo", Data);
        await PostAsync(command);
        await WaitUntilFinishedAsync("resender", id);

        var reply = await PostAsync(command);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Resp, Is.EqualTo("data_available"));
            Assert.That(reply.State, Is.EqualTo(3));
            Assert.That(JsonElement.DeepEquals(reply.Get("data"), JsonDocument.Parse(Data).RootElement), Is.True, reply.Text);
            Assert.That(reply.Has("error"), Is.False);
            Assert.That(reply.Location, Is.Null);
        }
    }

    [Test]
    public async Task Should_keep_the_result_for_later_re_sends_and_reads()
    {
        var id = NewJobId();
        var command = SysCmdHttp.Command("resender", id, "echo", "\"kept\"");
        await PostAsync(command);
        await WaitUntilFinishedAsync("resender", id);

        var replies = new List<Reply>();
        for (var i = 0; i < 3; i++)
        {
            replies.Add(await PostAsync(command));
            replies.Add(await GetAsync($"/jobs/resender/{id}"));
        }

        var stored = TestRedis.Connection.GetDatabase();
        var statusKey = $"{Env.Prefix}:resender:{{{id}}}:status";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(replies.Select(r => r.Code), Is.All.EqualTo(200));
            Assert.That(replies.Select(r => r.Get("data").GetString()), Is.All.EqualTo("kept"));
            Assert.That((string?)await stored.HashGetAsync(statusKey, RedisKeys.ResultField), Is.EqualTo("""{"to":"end_job","result":"kept"}"""),
                "the result was deleted after being read");
            Assert.That(await stored.KeyTimeToLiveAsync(statusKey), Is.Not.Null, "a finished job must expire after the retention");
        }
    }

    [Test]
    public async Task Should_treat_the_same_data_with_other_whitespace_as_the_same_command()
    {
        var id = NewJobId();
        await PostAsync($$"""{"from":"resender","to":"end_job","cmd":"echo","data":{"x":[1,2]},"job_id":"{{id}}"}""");
        var reply = await PostAsync($$"""{ "job_id" : "{{id}}", "data" : { "x" : [ 1 , 2 ] }, "cmd":"echo", "to":"end_job", "from":"resender" }""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Code, Is.AnyOf(200, 202), reply.Text);
            Assert.That(reply.Field("job_id"), Is.EqualTo(id));
        }
    }
}
