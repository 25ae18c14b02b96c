using System.Collections.Concurrent;
using System.Text.Json;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Queues;

/// <summary>
/// Three real worker processes, each with a different module set: one with HelloModule (hello, word_count), one with
/// the shout module, one plain (built-ins only). Jobs of every function, and built-ins, must each run on a worker that
/// offers the function and finish with their own correct EOJ: one at a time (where the direct start used to give a
/// job to the freshest idle worker, whatever it offered) and under load.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Running_a_mixed_fleet
{
    private const int Jobs = 1000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private ExeSysDeployment _deployment = null!;
    private readonly List<string> _folders = [];

    [OneTimeSetUp]
    public async Task Start_three_different_workers()
    {
        var hello = (await ModuleBuilds.GetAsync()).HelloV1;
        var shout = await ShoutModule.GetAsync();
        _deployment = await ExeSysDeployment.Build(TestSettings.For(TestRedis.NewPrefix("mixed"))).WithController("controller").StartAsync();
        var workers = new[]
        {
            _deployment.StartWorker("hello-worker", s => s.With("ExeSys:Worker:ModulesFolder", FolderWith(hello, "hello"))),
            _deployment.StartWorker("shout-worker", s => s.With("ExeSys:Worker:ModulesFolder", FolderWith(shout, "shout"))),
            _deployment.StartWorker("plain-worker", s => s.With("ExeSys:Worker:ModulesFolder", FolderWith(null, null))),
        };
        foreach (var worker in workers)
        {
            await _deployment.WaitForWorkerAsync(worker);
        }

        await Eventually.WaitForAsync(
            _deployment.Client.FunctionsAsync,
            functions => functions.Any(f => f.Name == "hello") && functions.Any(f => f.Name == "shout"),
            _deployment.StartTimeout, "the API to see hello and shout");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _deployment.DisposeAsync();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A modules folder of the worker's own, holding one module (or none).</summary>
    private string FolderWith(string? module, string? name)
    {
        var folder = Directory.CreateTempSubdirectory("exesys-mixed-").FullName;
        _folders.Add(folder);
        if (module is not null)
        {
            ModuleBuilds.CopyModule(module, Path.Combine(folder, name!));
        }

        return folder;
    }

    /// <summary>Job i: its function, its data, the EOJ it must end with, and the workers that may run it.</summary>
    private static (string Cmd, string Data, string Expected, string[] Workers) JobOf(int i)
    {
        var word = $"word{i}";
        return (i % 4) switch
        {
            0 => ("hello", $"\"{word}\"", $$"""{"greeting":"Hello, {{word}}!","version":"1.0.0"}""", ["hello-worker"]),
            1 => ("shout", $"\"{word}\"", $"\"{word.ToUpperInvariant()}\"", ["shout-worker"]),
            2 => ("word_count", $"\"a b {word}\"", "3", ["hello-worker"]),
            _ => ("echo", $"{{\"n\":{i}}}", $"{{\"n\":{i}}}", ["hello-worker", "shout-worker", "plain-worker"]),
        };
    }

    [Test]
    public async Task Should_run_every_job_one_at_a_time_on_a_worker_that_offers_its_function()
    {
        var from = "one-at-a-time";
        for (var i = 0; i < Jobs; i++)
        {
            var job = JobOf(i);
            var reply = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command(from, $"job-{i:D4}", job.Cmd, job.Data), "?wait=10s");
            while (reply.Code == 202)
            {
                reply = await SysCmdHttp.GetAsync(_deployment.Client, $"/jobs/{from}/job-{i:D4}?wait=5s");
            }

            // Checked as it goes: the first wrong-worker failure is the one to see.
            Assert.That(reply.Code, Is.EqualTo(200), $"job {i} ({job.Cmd}): {reply.Text}");
        }

        await AssertAllRanRightAsync(from);
    }

    [Test]
    public async Task Should_run_every_job_under_load_on_a_worker_that_offers_its_function()
    {
        var from = "under-load";
        using var deadline = new CancellationTokenSource(RunTimeout);
        await Parallel.ForEachAsync(Enumerable.Range(0, Jobs), new ParallelOptions { MaxDegreeOfParallelism = 48, CancellationToken = deadline.Token }, async (i, token) =>
        {
            var job = JobOf(i);
            var reply = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command(from, $"job-{i:D4}", job.Cmd, job.Data), "?wait=10s");
            while (reply.Code == 202)
            {
                token.ThrowIfCancellationRequested();
                reply = await SysCmdHttp.GetAsync(_deployment.Client, $"/jobs/{from}/job-{i:D4}?wait=5s");
            }
        });

        await AssertAllRanRightAsync(from);
    }

    /// <summary>Every job finished in state 3 with its own EOJ, at its first attempt, on a worker that offers its function.</summary>
    private async Task AssertAllRanRightAsync(string from)
    {
        var wrong = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Jobs), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var job = JobOf(i);
            var status = await _deployment.StatusAsync(from, $"job-{i:D4}");
            var data = await SysCmdHttp.GetAsync(_deployment.Client, $"/jobs/{from}/job-{i:D4}");
            var eoj = data.Body.TryGetProperty("data", out var d) ? JsonSerializer.Serialize(d) : "(none)";
            if (status.GetValueOrDefault("st") != "3" || status.GetValueOrDefault("at") != "1" || eoj != job.Expected ||
                !job.Workers.Contains(status.GetValueOrDefault("wk")))
            {
                wrong.Add($"job {i} ({job.Cmd}): st={status.GetValueOrDefault("st")} at={status.GetValueOrDefault("at")} wk={status.GetValueOrDefault("wk")} eoj={eoj} err={status.GetValueOrDefault("err")}");
            }
        });

        Assert.That(wrong, Is.Empty, $"{wrong.Count} of {Jobs} jobs did not run right; e.g. {string.Join("; ", wrong.Take(5))}");
    }
}
