using System.Collections.Concurrent;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// Issue 15's roll-out: three real worker processes, each with a modules folder of its own, all serve HelloModule
/// 1.0.0 under a steady stream of <c>slow_version</c> jobs from several concurrent clients. The module folder is then
/// replaced by 2.0.0 on worker 1, then 2, then 3, as an operator would (<c>rm -rf modules/hello</c>, a short gap,
/// <c>cp -r</c>). No job may fail, and every job submitted once all three workers have 2.0.0 runs on it.
/// </summary>
[TestFixture]
public sealed class Rolling_out_a_new_module_version_across_three_workers
{
    private const int Submitters = 6;
    private const string JobMs = "30";
    private static readonly string[] Workers = ["rollout-1", "rollout-2", "rollout-3"];

    // Loading takes StableFor plus a rescan or two, and the advert a heartbeat; the rest is slack for a loaded machine.
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(20);

    private BuiltModules _modules = null!;
    private string _root = null!;
    private ExeSysDeployment _cluster = null!;

    private HttpClient Client => _cluster.Client;

    [OneTimeSetUp]
    public async Task Start_three_workers_each_serving_version_1()
    {
        _modules = await ModuleBuilds.GetAsync();
        _root = Directory.CreateTempSubdirectory("exesys-rollout-").FullName;
        foreach (var worker in Workers)
        {
            ModuleBuilds.CopyModule(_modules.HelloV1, Path.Combine(ModulesOf(worker), "hello"));
        }

        // ModuleRemoveGrace stays at its default: the roll-out relies on nothing a test sets.
        var settings = TestSettings.For(TestRedis.NewPrefix("rollout"))
            .With("ExeSys:Worker:ModulesRescan", "00:00:00.300")
            .With("ExeSys:Worker:ModuleStableFor", "00:00:01")
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500");
        _cluster = await ExeSysDeployment.Build(settings)
            .WithController("controller")
            .WithPlainClient(TimeSpan.FromSeconds(60))
            .StartAsync();
        foreach (var worker in Workers)
        {
            _cluster.StartWorker(worker, s => s.With("ExeSys:Worker:ModulesFolder", ModulesOf(worker)));
        }

        await _cluster.WaitForWorkersAsync(Workers);
    }

    [OneTimeTearDown]
    public async Task Stop_the_processes()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [TearDown]
    public async Task Show_the_logs_of_a_failed_test()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _cluster.WriteLogsAsync();
        }
    }

    [Test]
    public async Task Should_finish_every_job_while_version_2_replaces_version_1_on_one_worker_after_another()
    {
        await WaitForVersionAsync(Workers, "1.0.0");
        var jobs = new ConcurrentBag<(string JobId, bool AfterRollout, Reply Reply)>();
        var finished = 0;
        var rolledOut = false;
        using var stop = new CancellationTokenSource();

        async Task SubmitAsync(int submitter)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var after = Volatile.Read(ref rolledOut);
                var jobId = $"s{submitter}-{n}";
                var reply = await Client.SubmitAsync("rollout", jobId, "slow_version", JobMs, wait: "20s");
                if (reply.Code == 202)
                {
                    reply = await Client.WaitForJobAsync("rollout", jobId, r => r.State >= 3, LoadTimeout, $"job {jobId} to end");
                }

                jobs.Add((jobId, after, reply));
                Interlocked.Increment(ref finished);
            }
        }

        var submitters = Enumerable.Range(1, Submitters).Select(i => Task.Run(() => SubmitAsync(i))).ToList();
        try
        {
            await WaitForFinishedAsync(() => Volatile.Read(ref finished), 20, "the stream of jobs to get going on version 1");
            foreach (var worker in Workers)
            {
                var hello = Path.Combine(ModulesOf(worker), "hello");

                // rm -rf, then a gap in which the worker sees the folder gone and jobs keep coming, then cp -r.
                Directory.Delete(hello, recursive: true);
                // (A worker that withdrew the module at once would show no row: the jobs below then tell.)
                await Eventually.WaitForAsync(
                    Client.ModulesAsync,
                    rows => !rows.Any(r => r.Worker == worker && r.Module == "hello" && r.Error?.Contains("gone", StringComparison.Ordinal) != true),
                    LoadTimeout,
                    $"{worker} to see its hello folder gone");
                await WaitForFinishedAsync(() => Volatile.Read(ref finished), 6, $"jobs to finish while {worker}'s hello folder is gone");
                ModuleBuilds.CopyModule(_modules.HelloV2, hello);
                await WaitForVersionAsync([worker], "2.0.0");
            }

            Volatile.Write(ref rolledOut, true);
            await WaitForFinishedAsync(() => Volatile.Read(ref finished), 20, "jobs to run after the roll-out");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(submitters);
        }

        var all = jobs.ToList();
        var failed = all.Where(j => j.Reply.State != 3).Select(j => $"{j.JobId}: {j.Reply.Text}").ToList();
        var versions = all.Where(j => j.Reply.State == 3).GroupBy(j => j.Reply.Get("data").GetProperty("version").GetString()).ToDictionary(g => g.Key ?? "?", g => g.Count());
        var oldAfterRollout = all.Where(j => j.AfterRollout && j.Reply.State == 3 && j.Reply.Get("data").GetProperty("version").GetString() != "2.0.0").Select(j => j.Reply.Text).ToList();
        await TestContext.Progress.WriteLineAsync($"Roll-out: {all.Count} jobs, by version: {string.Join(", ", versions.Select(v => $"{v.Key}={v.Value}"))}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed, Is.Empty, "no job fails during the roll-out");
            Assert.That(versions.GetValueOrDefault("1.0.0"), Is.GreaterThan(0), "jobs ran on version 1 before and during the roll-out");
            Assert.That(versions.GetValueOrDefault("2.0.0"), Is.GreaterThan(0), "jobs ran on version 2");
            Assert.That(all.Count(j => j.AfterRollout), Is.GreaterThan(0), "jobs were submitted after the roll-out");
            Assert.That(oldAfterRollout, Is.Empty, "a job submitted once every worker has version 2 runs on version 2");
            Assert.That(all.Select(j => j.Reply.Attempts).Where(a => a != 1), Is.Empty, "no job needed a second attempt");
            Assert.That(_cluster.Processes.All.Where(p => p.HasExited).Select(p => p.Name), Is.Empty, "no process was restarted");
        }
    }

    private string ModulesOf(string worker) => Path.Combine(_root, worker);

    private Task<IReadOnlyList<ModuleRow>> WaitForVersionAsync(IReadOnlyCollection<string> workers, string version) =>
        Eventually.WaitForAsync(
            Client.ModulesAsync,
            rows => workers.All(w => rows.Any(r => r.Worker == w && r.Module == "hello" && r.Version == version && r.Status == "loaded" && r.Error is null)),
            LoadTimeout,
            $"{string.Join(", ", workers)} to serve hello {version}");

    /// <summary>Waits until <paramref name="more"/> jobs have finished after the call, so the stream really spans that moment.</summary>
    private static async Task WaitForFinishedAsync(Func<int> finished, int more, string what)
    {
        var target = finished() + more;
        await Eventually.WaitForAsync(() => finished() >= target, LoadTimeout, what);
    }
}
