using System.Collections.Concurrent;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.EndToEnd;

/// <summary>
/// Many clients re-sending their commands at once to a real API process (Kestrel, its pooled buffers, real
/// sockets): every reply must be about the very command that was sent, never a mix with another request's bytes.
/// A request body read after its pooled buffer went back to Kestrel shows up here as a reply about a garbled
/// command; such a race hits a few requests in thousands, hence the volume.
/// </summary>
[TestFixture]
public sealed class Re_sending_many_commands_at_once
{
    private const int Jobs = 100;
    private const int Resends = 8000;
    private const int Concurrency = 96;
    private ExeSysDeployment? _deployment;

    [TearDown]
    public async Task Stop()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
            _deployment = null;
        }
    }

    [Test]
    public async Task Should_answer_each_with_its_own_job_and_data()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("resend"));
        _deployment = await ExeSysDeployment.Build(settings)
            .WithWorker("worker", id: "resend-worker")
            .WithPlainClient(TimeSpan.FromSeconds(30))
            .WithStartTimeout(TimeSpan.FromSeconds(60))
            .WaitForFunctions("echo")
            .StartAsync();
        var client = _deployment.Client;

        // Bodies of different lengths, so requests and replies occupy buffers of many sizes.
        var commands = Enumerable.Range(0, Jobs).Select(i =>
        {
            var data = $$"""{"n":{{i}},"pad":"{{new string((char)('a' + (i % 26)), i * 17 % 700)}}"}""";
            return (Id: $"job-{i:D3}", Data: data, Json: SysCmdHttp.Command("resender", $"job-{i:D3}", "echo", data));
        }).ToArray();
        foreach (var command in commands)
        {
            var done = await SysCmdHttp.PostAsync(client, command.Json, "?wait=10s");
            Assert.That(done.State, Is.EqualTo(3), done.ToString());
        }

        var mismatches = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Resends), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
        {
            var command = commands[i % Jobs];
            var reply = await SysCmdHttp.PostAsync(client, command.Json);
            if (reply.Code != 200 || reply.Field("job_id") != command.Id ||
                !JsonElement.DeepEquals(reply.Get("data"), JsonDocument.Parse(command.Data).RootElement))
            {
                mismatches.Add($"{command.Id}: {reply}");
            }
        });

        await TestContext.Out.WriteLineAsync($"{Resends} re-sends of {Jobs} finished jobs, {Concurrency} at a time: {mismatches.Count} wrong replies");
        Assert.That(mismatches.Take(5), Is.Empty, $"{mismatches.Count} of {Resends} replies were not about the command sent");
    }
}
