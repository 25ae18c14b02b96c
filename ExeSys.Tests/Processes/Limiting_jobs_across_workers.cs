using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;
using StackExchange.Redis;

namespace ExeSys.Tests.Processes;

/// <summary>
/// Limits and concurrency keys hold across three real worker processes: <c>limit_probe</c> (a test module whose runs
/// count themselves in a counter they share, in the functions' data store) is limited to 3 at once, <c>echo</c> to 50
/// starts a second, and concurrency keys allow 1 or 2 at once. Excess jobs wait and run; none fails.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Limiting_jobs_across_workers
{
    private static readonly string[] Workers = ["limits-1", "limits-2", "limits-3"];
    private static readonly string[] RefusedIds = ["bad-key", "long-key", "zero-limit", "keyless-limit", "keyed-step"];
    private string _folder = null!;
    private ExeSysDeployment _cluster = null!;

    private HttpClient Client => _cluster.Client;

    [OneTimeSetUp]
    public async Task Start_three_workers_with_limits()
    {
        var modules = await ModuleBuilds.GetAsync();
        _folder = Directory.CreateTempSubdirectory("exesys-limits-modules-").FullName;
        ModuleBuilds.CopyModule(modules.Probe, Path.Combine(_folder, "probe"));
        var settings = TestSettings.For(TestRedis.NewPrefix("limits"))
            .With("ExeSys:Limits:Functions:limit_probe:MaxConcurrency", "3")
            .With("ExeSys:Limits:Functions:echo:RatePerPeriod", "50")
            .With("ExeSys:Limits:Functions:echo:RatePeriod", "00:00:01");
        _cluster = await ExeSysDeployment.Build(settings)
            .WithModulesFolder(_folder)
            .WithController("controller")
            .WithApiInProcess()
            .StartAsync();
        foreach (var worker in Workers)
        {
            _cluster.StartWorker(worker);
        }

        await Eventually.WaitForAsync(Client.FunctionsAsync,
            functions => functions.Any(f => f.Name == "limit_probe" && Workers.All(f.Workers.Contains)),
            ExeSysDeployment.ProcessStartTimeout, "all three workers to offer limit_probe");
        await Eventually.WaitForAsync(
            async () => await _cluster.Redis.GetDatabase().HashLengthAsync(_cluster.Keys.Default.Limits) == 2,
            ExeSysDeployment.ProcessStartTimeout, "the controller to publish the limits");
    }

    [OneTimeTearDown]
    public async Task Stop_the_processes()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [TearDown]
    public async Task Show_the_logs_of_a_failure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _cluster.WriteLogsAsync();
        }
    }

    private static JsonObject Probe(string jobId, string counter, int ms, string? key = null, int? keyLimit = null)
    {
        var command = new JsonObject
        {
            ["from"] = "limits",
            ["to"] = "end_job",
            ["cmd"] = "limit_probe",
            ["data"] = new JsonObject { ["counter"] = counter, ["ms"] = ms },
            ["job_id"] = jobId,
        };
        if (key is not null)
        {
            command["concurrency_key"] = key;
        }

        if (keyLimit is not null)
        {
            command["concurrency_limit"] = keyLimit;
        }

        return command;
    }

    private async Task SubmitAsync(IEnumerable<JsonObject> commands)
    {
        var reply = await _cluster.PostAsync("/sys_cmd/batch", new JsonArray([.. commands]).ToJsonString());
        Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
    }

    /// <summary>Waits until every job has finished, and gives each one's status hash.</summary>
    private async Task<List<Dictionary<string, string>>> FinishedAsync(IEnumerable<string> jobIds, TimeSpan timeout)
    {
        var ids = jobIds.ToList();
        List<Dictionary<string, string>> statuses = [];
        await Eventually.WaitForAsync(async () =>
        {
            statuses = [.. await Task.WhenAll(ids.Select(id => _cluster.StatusAsync("limits", id)))];
            return statuses.All(s => s.GetValueOrDefault("st") is "3" or "4");
        }, timeout, $"{ids.Count} jobs to finish");
        return statuses;
    }

    /// <summary>The most runs of limit_probe that overlapped on <paramref name="counter"/>, as the runs counted themselves.</summary>
    private async Task<long> MostAtOnceAsync(string counter)
    {
        var seen = await _cluster.Redis.GetDatabase(1).ListRangeAsync($"{_cluster.Prefix}-{counter}:seen");
        return seen.Max(v => (long)v);
    }

    [Test]
    public async Task Should_never_run_more_than_three_of_a_function_limited_to_three_across_three_workers()
    {
        var ids = Enumerable.Range(0, 24).Select(i => $"capped-{i}").ToList();
        await SubmitAsync(ids.Select(id => Probe(id, $"{_cluster.Prefix}-capped", 300)));

        var statuses = await FinishedAsync(ids, TimeSpan.FromSeconds(90));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Select(s => s["st"]), Is.All.EqualTo("3"), "every job finished: a job over its limit waits, it never fails");
            Assert.That(statuses.Select(s => s["at"]), Is.All.EqualTo("1"));
            Assert.That(await MostAtOnceAsync("capped"), Is.EqualTo(3), "never four at once, and the limit was reached");
            Assert.That(statuses.Select(s => s["wk"]).Distinct().Count(), Is.GreaterThan(1), "the limit is global: the jobs ran on several workers");
        }
    }

    [Test]
    public async Task Should_hold_graph_nodes_and_original_protocol_steps_to_their_functions_limit_too()
    {
        const string counter = "promoted";
        var probe = new JsonObject { ["counter"] = $"{_cluster.Prefix}-{counter}", ["ms"] = 300 };
        var nodes = new JsonObject { ["go"] = new JsonObject { ["cmd"] = "echo", ["data"] = 1, ["next"] = new JsonArray([.. Enumerable.Range(0, 8).Select(i => (JsonNode)$"n{i}")]) } };
        for (var i = 0; i < 8; i++)
        {
            nodes[$"n{i}"] = new JsonObject { ["cmd"] = "limit_probe", ["data"] = probe.DeepClone(), ["next"] = new JsonArray("end_job") };
        }

        var graph = await _cluster.PostAsync("/workflows", new JsonObject { ["from"] = "limits", ["job_id"] = "fanned", ["nodes"] = nodes }.ToJsonString());
        Assert.That(graph.Code, Is.EqualTo(202), graph.Text);
        var chains = Enumerable.Range(0, 6).Select(i => $"chain-{i}").ToList();
        foreach (var chain in chains)
        {
            var first = Probe(chain, $"{_cluster.Prefix}-{counter}", 300);
            (first["from"], first["to"]) = ("first", "second");
            var second = Probe(chain, $"{_cluster.Prefix}-{counter}", 300);
            second["from"] = "second";
            Assert.That((await SysCmdHttp.PostAsync(Client, first.ToJsonString())).Status, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That((await SysCmdHttp.PostAsync(Client, second.ToJsonString(), configure: r => r.Headers.Add("Operation", "workflow"))).Status, Is.EqualTo(HttpStatusCode.Accepted));
        }

        List<Dictionary<string, string>> statuses = [];
        await Eventually.WaitForAsync(async () =>
        {
            statuses = [.. await Task.WhenAll([
                .. Enumerable.Range(0, 8).Select(i => _cluster.StatusAsync($"n{i}", "fanned")),
                .. chains.SelectMany(c => new[] { _cluster.StatusAsync("first", c), _cluster.StatusAsync("second", c) })])];
            return statuses.All(s => s.GetValueOrDefault("st") is "3" or "4");
        }, TimeSpan.FromSeconds(90), "the graph's nodes and the chains' steps to finish");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Select(s => s["st"]), Is.All.EqualTo("3"), "over the limit they wait; none fails");
            Assert.That(await MostAtOnceAsync(counter), Is.EqualTo(3), "promoted nodes and steps start under the limit of 3, and reach it");
        }
    }

    [Test]
    public async Task Should_show_the_published_limits_in_get_queues()
    {
        var queues = await _cluster.GetAsync("/queues");
        var limits = queues.Body.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "default").GetProperty("limits");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(limits.GetProperty("function:limit_probe").GetProperty("max_concurrency").GetInt32(), Is.EqualTo(3));
            Assert.That(limits.GetProperty("function:echo").GetProperty("rate_per_period").GetInt32(), Is.EqualTo(50));
            Assert.That(limits.GetProperty("function:echo").GetProperty("rate_period_ms").GetInt32(), Is.EqualTo(1000));
        }
    }

    [Test]
    public async Task Should_run_at_most_N_jobs_with_one_concurrency_key_at_once()
    {
        var one = Enumerable.Range(0, 6).Select(i => $"key1-{i}").ToList();
        var two = Enumerable.Range(0, 8).Select(i => $"key2-{i}").ToList();
        await SubmitAsync([
            .. one.Select(id => Probe(id, $"{_cluster.Prefix}-key1", 250, key: "incident-42")),
            .. two.Select(id => Probe(id, $"{_cluster.Prefix}-key2", 250, key: "incident-43", keyLimit: 2)),
        ]);

        var statuses = await FinishedAsync([.. one, .. two], TimeSpan.FromSeconds(90));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Select(s => s["st"]), Is.All.EqualTo("3"));
            Assert.That(await MostAtOnceAsync("key1"), Is.EqualTo(1), "concurrency_limit defaults to 1: the key's jobs never overlap");
            Assert.That(await MostAtOnceAsync("key2"), Is.EqualTo(2), "concurrency_limit 2: at most two at once");
            Assert.That(statuses.Select(s => s["ln"]).Distinct(), Is.EquivalentTo((string[])["limit_probe|incident-42|1", "limit_probe|incident-43|2"]));
        }
    }

    [Test]
    public async Task Should_hold_a_rate_of_fifty_starts_a_second_within_ten_percent_over_ten_seconds()
    {
        var ids = Enumerable.Range(0, 650).Select(i => $"paced-{i}").ToList();
        await SubmitAsync(ids.Select(id => new JsonObject
        {
            ["from"] = "limits",
            ["to"] = "end_job",
            ["cmd"] = "echo",
            ["data"] = id,
            ["job_id"] = id,
        }));

        var statuses = await FinishedAsync(ids, TimeSpan.FromSeconds(120));
        var starts = statuses.Select(s => long.Parse(s["sa"], CultureInfo.InvariantCulture)).Order().ToList();
        var inTenSeconds = starts.Count(s => s < starts[0] + 10_000);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Select(s => s["st"]), Is.All.EqualTo("3"));
            Assert.That(inTenSeconds, Is.InRange(450, 550), "50 a second, within 10%, over the first ten seconds");
        }
    }

    [Test]
    public async Task Should_refuse_a_bad_concurrency_key_with_400_naming_it_and_leave_redis_unchanged()
    {
        var spaced = await SysCmdHttp.PostAsync(Client, Probe("bad-key", "unused", 1, key: "incident 42").ToJsonString());
        var long_ = await SysCmdHttp.PostAsync(Client, Probe("long-key", "unused", 1, key: new string('k', 129)).ToJsonString());
        var zero = await SysCmdHttp.PostAsync(Client, Probe("zero-limit", "unused", 1, key: "incident-42", keyLimit: 0).ToJsonString());
        var keyless = await SysCmdHttp.PostAsync(Client, Probe("keyless-limit", "unused", 1, keyLimit: 2).ToJsonString());
        var step = await SysCmdHttp.PostAsync(Client, Probe("keyed-step", "unused", 1, key: "incident-42").ToJsonString(),
            configure: r => r.Headers.Add("Operation", "workflow"));
        var written = await Task.WhenAll(RefusedIds.Select(id => _cluster.Redis.GetDatabase().KeyExistsAsync(_cluster.Keys.Status(new Core.Jobs.JobRef("limits", id)))));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(spaced.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(spaced.Get("errors").GetProperty("concurrency_key")[0].GetString(), Does.Contain("U+0020 at position 8"));
            Assert.That(long_.Get("errors").GetProperty("concurrency_key")[0].GetString(), Does.Contain("the limit is 128"));
            Assert.That(zero.Get("errors").GetProperty("concurrency_limit")[0].GetString(), Does.Contain("from 1 to 10000"));
            Assert.That(keyless.Get("errors").GetProperty("concurrency_limit")[0].GetString(), Does.Contain("needs a 'concurrency_key'"));
            Assert.That(step.Get("errors").GetProperty("concurrency_key")[0].GetString(), Does.Contain("not supported on a workflow step"));
            Assert.That(written, Is.All.False, "nothing reached Redis");
        }
    }
}

/// <summary>
/// A worker SIGKILLed while its job holds the only slot of a function limited to one at a time: the slot comes back
/// with the job's lease, with no step of its own, and the jobs waiting behind it run on another worker.
/// </summary>
[TestFixture]
public sealed class Killing_a_worker_that_holds_a_limit_slot
{
    [Test]
    public async Task Should_give_the_slot_back_with_the_lease_and_run_the_waiting_jobs()
    {
        var modules = await ModuleBuilds.GetAsync();
        var folder = Directory.CreateTempSubdirectory("exesys-limits-kill-").FullName;
        ModuleBuilds.CopyModule(modules.Probe, Path.Combine(folder, "probe"));
        var settings = TestSettings.For(TestRedis.NewPrefix("limitkill"))
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02")
            .With("ExeSys:Limits:Functions:limit_probe:MaxConcurrency", "1");
        await using var cluster = await ExeSysDeployment.Build(settings)
            .WithModulesFolder(folder)
            .WithController("controller")
            .WithApiInProcess()
            .StartAsync();
        try
        {
            var doomed = cluster.StartWorker("doomed");
            await Eventually.WaitForAsync(cluster.Client.FunctionsAsync, f => f.Any(x => x.Name == "limit_probe"),
                ExeSysDeployment.ProcessStartTimeout, "the doomed worker to offer limit_probe");
            await Eventually.WaitForAsync(async () => await cluster.Redis.GetDatabase().HashLengthAsync(cluster.Keys.Default.Limits) == 1,
                ExeSysDeployment.ProcessStartTimeout, "the controller to publish the limits");

            var counter = $"{cluster.Prefix}-held";
            await SysCmdHttp.PostAsync(cluster.Client, Command("holder", $"{counter}-holder", 4000));
            await cluster.WaitForJobAsync("limits", "holder", r => r.State == 2, TimeSpan.FromSeconds(30), "the doomed worker to start the holder");
            foreach (var id in new[] { "waiter-1", "waiter-2" })
            {
                await SysCmdHttp.PostAsync(cluster.Client, Command(id, counter, 200));
            }

            var slots = cluster.Keys.Default.LimitSlots("f:limit_probe");
            var heldBy = await cluster.Redis.GetDatabase().SortedSetRangeByRankAsync(slots);
            var waiting = await cluster.StatusAsync("limits", "waiter-1");

            doomed.Crash();
            await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));
            cluster.StartWorker("rescuer");

            foreach (var id in new[] { "waiter-1", "waiter-2", "holder" })
            {
                await cluster.WaitForJobAsync("limits", id, r => r.State == 3, TimeSpan.FromSeconds(90), $"{id} to finish after the crash");
            }

            var seen = await cluster.Redis.GetDatabase(1).ListRangeAsync($"{counter}:seen");
            var holder = await cluster.StatusAsync("limits", "holder");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(heldBy.Select(m => (string)m!), Is.EqualTo((string[])["limits:holder"]), "the holder held the one slot");
                Assert.That(waiting["st"], Is.EqualTo("0"), "the waiters waited on the queue side, holding no worker");
                Assert.That(seen.Select(v => (long)v), Is.All.EqualTo(1L), "the waiters never overlapped each other");
                Assert.That(holder["at"], Is.EqualTo("2"), "the holder ran again after its worker was lost");
                Assert.That(await cluster.Redis.GetDatabase().SortedSetLengthAsync(slots), Is.Zero, "no slot is left behind");
            }
        }
        catch
        {
            await cluster.WriteLogsAsync();
            throw;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static string Command(string jobId, string counter, int ms) => new JsonObject
        {
            ["from"] = "limits",
            ["to"] = "end_job",
            ["cmd"] = "limit_probe",
            ["data"] = new JsonObject { ["counter"] = counter, ["ms"] = ms },
            ["job_id"] = jobId,
        }.ToJsonString();
    }
}
