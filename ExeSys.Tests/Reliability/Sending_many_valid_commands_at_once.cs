using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Load is a fault too: many valid commands and graphs arriving at once, each with its own body. Every one must be
/// accepted, and each job must hold exactly the data its own request carried, never a neighbour's.
/// </summary>
[TestFixture]
public sealed class Sending_many_valid_commands_at_once
{
    private const int Commands = 600;
    private const int Graphs = 600;

    [Test]
    public async Task Should_accept_every_one_and_keep_each_body_to_its_own_job()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("volume"));
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var worker = deployment.StartWorker("volume-worker");
        await deployment.WaitForWorkerAsync(worker);

        var refused = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Commands + Graphs), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
        {
            var (path, body) = i % 2 == 0 ? ("/workflows", Graph(i / 2)) : ("/sys_cmd", SysCmdHttp.Command("volume", JobId(i / 2), "echo", Data(i / 2)));
            using var response = await deployment.Client.PostAsync(new Uri(path, UriKind.Relative), SysCmdHttp.Json(body), token);
            if ((int)response.StatusCode is not (200 or 202))
            {
                refused.Add($"{path} #{i / 2}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
            }
        });

        var mixedUp = new List<string>();
        for (var n = 0; n < Commands; n++)
        {
            var stored = (await deployment.StatusAsync("volume", JobId(n))).GetValueOrDefault("data");
            if (stored != Data(n))
            {
                mixedUp.Add($"{JobId(n)}: sent {Data(n)}, stored {stored}");
            }
        }

        var runs = Enumerable.Range(0, Graphs).Select(k => new JobRef("volume-flows", RunId(k))).ToList();
        await Eventually.WaitForAsync(async () => (await Task.WhenAll(runs.Select(r => deployment.StatusAsync(r.From, r.JobId))))
            .Count(s => s.GetValueOrDefault("st") is "3" or "4" || s.Count == 0), n => n == Graphs, TimeSpan.FromSeconds(60), "every run to end");
        var wrongRuns = new List<string>();
        for (var k = 0; k < Graphs; k++)
        {
            var result = await deployment.DataAvailableAsync("volume-flows", RunId(k));
            if (result is not null && JsonNode.Parse(result)!["result"]!.GetValue<int>() != k + 1)
            {
                wrongRuns.Add($"{RunId(k)}: expected {k + 1}, got {result}");
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.Empty, "a valid command or graph was refused");
            Assert.That(mixedUp, Is.Empty, "a job holds data its request did not carry");
            Assert.That(wrongRuns, Is.Empty, "a run's result does not follow from its own request");
        }
    }

    private static string JobId(int n) => $"cmd-{n.ToString(CultureInfo.InvariantCulture)}";

    private static string RunId(int k) => $"run-{k.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Compact JSON, as ExeSys stores it, of a size that varies with n.</summary>
    private static string Data(int n) =>
        JsonSerializer.Serialize(new { n, pad = new string((char)('a' + (n % 26)), n * 7 % 900) });

    private static string Graph(int k) => new JsonObject
    {
        ["from"] = "volume-flows",
        ["job_id"] = RunId(k),
        ["data"] = k,
        ["nodes"] = new JsonObject
        {
            ["only"] = new JsonObject { ["cmd"] = "sum", ["data"] = 1, ["next"] = new JsonArray("end_job") },
        },
    }.ToJsonString();
}
