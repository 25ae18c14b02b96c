using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.EndToEnd;

/// <summary>
/// The whole system as it is deployed: the API, a controller and two workers, each a real <c>dotnet</c> process on
/// the test Redis, driven over HTTP the way clients drive it. A thousand jobs go in concurrently; every one must
/// come back with its own data, having run exactly once, and none may be lost.
/// </summary>
[TestFixture]
public sealed class Running_a_thousand_jobs_on_real_processes
{
    private const int Jobs = 1000;
    private const int Concurrency = 48;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private ExeSysDeployment? _deployment;
    private ProcessSet _processes = null!;

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
    public async Task Should_run_every_job_exactly_once_and_return_its_data()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("e2e"));
        var client = await StartAsync(settings);

        var commands = Enumerable.Range(0, Jobs).ToDictionary(
            i => $"job-{i:D4}",
            i => (Data: $$"""{"n":{{i}},"text":"payload {{i}} {{Guid.NewGuid()}}","list":[{{i}},{{i * 2}}]}""", Json: ""));
        foreach (var id in commands.Keys.ToList())
        {
            commands[id] = commands[id] with { Json = SysCmdHttp.Command("e2e-client", id, "test_cmd", commands[id].Data) };
        }

        var clock = Stopwatch.StartNew();
        var firstAnswers = new ConcurrentDictionary<int, int>();
        var pollsNeeded = 0;
        var finished = new ConcurrentDictionary<string, Reply>();
        using var deadline = new CancellationTokenSource(RunTimeout);
        await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = deadline.Token }, async (command, token) =>
        {
            var reply = await SysCmdHttp.PostAsync(client, command.Value.Json, "?wait=10s");
            firstAnswers.AddOrUpdate(reply.Code, 1, (_, n) => n + 1);
            while (reply.Code is 202)
            {
                token.ThrowIfCancellationRequested();
                Interlocked.Increment(ref pollsNeeded);
                reply = await SysCmdHttp.GetAsync(client, $"/jobs/e2e-client/{command.Key}?wait=5s");
            }

            finished[command.Key] = reply;
        });
        var runTime = clock.Elapsed;

        // Re-sending every command, as the original clients did to read results, must change nothing.
        var resent = new ConcurrentDictionary<string, Reply>();
        await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (command, _) =>
            resent[command.Key] = await SysCmdHttp.PostAsync(client, command.Value.Json));

        var store = new StoreHarness(settings.Prefix, new JobOptions(), TimeProvider.System);
        var snapshots = await Task.WhenAll(commands.Keys.Select(id => store.GetAsync(new JobRef("e2e-client", id))));
        await Eventually.WaitForAsync(async () => await store.InflightCountAsync() == 0, TimeSpan.FromSeconds(10), "the last lease entries to be dropped");
        var statusKeys = (await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, settings.Prefix, k => k.EndsWith(":status", StringComparison.Ordinal))).Entries.Count;

        var notDone = finished.Where(f => f.Value.State != 3).Select(f => $"{f.Key}: {f.Value}").ToList();
        var wrongData = resent.Where(r => r.Value.State != 3 || !JsonElement.DeepEquals(r.Value.Get("data"), JsonDocument.Parse(commands[r.Key].Data).RootElement))
            .Select(r => $"{r.Key}: {r.Value}").ToList();
        var ranTwice = resent.Where(r => r.Value.Attempts != 1).Select(r => $"{r.Key}: attempts {r.Value.Attempts}").ToList();
        var perWorker = snapshots.GroupBy(s => s?.Worker ?? "(none)").OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}");

        await TestContext.Out.WriteLineAsync($"{Jobs} jobs, {Concurrency} concurrent clients, 2 workers, 1 controller: all answered in {runTime.TotalSeconds:0.0}s");
        await TestContext.Out.WriteLineAsync($"first answers by status: {string.Join(", ", firstAnswers.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"))}; extra polls: {pollsNeeded}");
        await TestContext.Out.WriteLineAsync($"finished: {finished.Count}, state 3: {finished.Count(f => f.Value.State == 3)}, EOJ equal to data: {Jobs - wrongData.Count}, attempts == 1: {Jobs - ranTwice.Count}, job hashes in Redis: {statusKeys}");
        await TestContext.Out.WriteLineAsync($"jobs per worker: {string.Join(", ", perWorker)}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished, Has.Count.EqualTo(Jobs), "jobs lost");
            Assert.That(notDone, Is.Empty, "jobs not in state 3");
            Assert.That(wrongData, Is.Empty, "EOJ differs from the data sent");
            Assert.That(ranTwice, Is.Empty, "jobs that ran more than once");
            Assert.That(resent.Values.Select(r => r.Code), Is.All.EqualTo(200));
            Assert.That(statusKeys, Is.EqualTo(Jobs), "job hashes in Redis");
            Assert.That(await store.ReadyCountAsync(), Is.Zero, "jobs left on the queue");
            Assert.That(_processes.All.Where(p => p.HasExited).Select(p => p.Name), Is.Empty, "processes that died during the run");
        }
    }

    /// <summary>
    /// The same through <c>POST /sys_cmd/batch</c> on the real Kestrel: one batch larger than one command's body
    /// limit (ExeSys:Api:MaxBodyBytes, 1 MiB), whose jobs all run once and come back in the one reply.
    /// </summary>
    [Test]
    public async Task Should_take_a_batch_larger_than_one_commands_body_limit_and_run_each_job_once()
    {
        const int BatchJobs = 300;
        var settings = TestSettings.For(TestRedis.NewPrefix("e2e-batch"));
        var client = await StartAsync(settings);
        var padding = new string('p', 4000);
        var body = "[" + string.Join(",", Enumerable.Range(0, BatchJobs).Select(i =>
            SysCmdHttp.Command("e2e-batch", $"job-{i:D3}", "echo", $$"""{"n":{{i}},"pad":"{{padding}}"}"""))) + "]";

        using var response = await client.PostAsync(new Uri("/sys_cmd/batch?wait=20s", UriKind.Relative), SysCmdHttp.Json(body));
        var reply = await Reply.ReadAsync(response);
        using var again = await client.PostAsync(new Uri("/sys_cmd/batch", UriKind.Relative), SysCmdHttp.Json(body));
        var resent = await Reply.ReadAsync(again);

        var items = reply.Code == 200 ? reply.Get("jobs").EnumerateArray().ToList() : [];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(body, Has.Length.GreaterThan(new ExeSys.Api.Hosting.ApiOptions().MaxBodyBytes), "the batch is larger than one command may be");
            Assert.That(reply.Code, Is.EqualTo(200), reply.Text.Length > 600 ? reply.Text[..600] : reply.Text);
            Assert.That(reply.Get("finished").GetInt32(), Is.EqualTo(BatchJobs));
            Assert.That(items.Select(i => i.GetProperty("job").GetProperty("data").GetProperty("n").GetInt32()), Is.EqualTo(Enumerable.Range(0, BatchJobs)));
            Assert.That(resent.Get("jobs").EnumerateArray().Select(i => i.GetProperty("job").GetProperty("attempts").GetInt32()), Is.All.EqualTo(1), "ran once");
        }
    }

    /// <summary>Starts a controller, two workers and the API as processes; the client (the deployment's) talks to the API.</summary>
    private async Task<HttpClient> StartAsync(TestSettings settings)
    {
        _deployment = await ExeSysDeployment.Build(settings)
            .WithController("controller")
            .WithWorker("worker-1", id: settings.Prefix + "-worker-1")
            .WithWorker("worker-2", id: settings.Prefix + "-worker-2")
            .WithPlainClient(TimeSpan.FromSeconds(30))
            .WithStartTimeout(StartTimeout)
            .WaitForHealthReady()
            .StartAsync();
        _processes = _deployment.Processes;
        return _deployment.Client;
    }
}
