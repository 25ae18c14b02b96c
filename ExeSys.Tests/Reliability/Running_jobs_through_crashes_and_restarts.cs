using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// The fault suite. An API, a controller and three workers (real processes) on a Redis of the test's own with AOF
/// (appendfsync always). 2,000 jobs and 100 diamond workflows are submitted at a steady pace by clients that retry on
/// 503 and dropped connections, as the README tells them to. Meanwhile workers are killed with SIGKILL (and
/// replaced), the controller is restarted, and Redis is shut down and started again on the same port and data.
/// At the end every accepted job and workflow must have finished with the right result, the jobs the killed workers
/// held must have been run again elsewhere, and nothing may be left on the queue.
/// </summary>
[TestFixture]
[Category("Fault")]
public sealed class Running_jobs_through_crashes_and_restarts
{
    private const int Jobs = 2000;
    private const int Workflows = 100;
    private const int Submitters = 8;
    private const string JobsFrom = "fault";
    private const string WorkflowsFrom = "flows";
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan SubmitDeadline = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, int> _clientEvents = new(StringComparer.Ordinal);
    private readonly List<string> _faults = [];
    private readonly List<(string Worker, IReadOnlyList<JobRef> Held)> _kills = [];
    private readonly List<int> _controllerExitCodes = [];
    private PersistentRedis _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private ExeSysDeployment _deployment = null!;
    private readonly List<ExeSysProcess> _workers = [];
    // The controller running now is the last; ProcessSet stops and disposes them all.
    private readonly List<ExeSysProcess> _controllers = [];
    private int _accepted;
    private int _workerCount;
    private long _lastOutageSignal;

    private sealed record Work(int Index, bool IsWorkflow, string From, string JobId, string Body, string ExpectedJson);

    [SetUp]
    public async Task Start_exesys_on_a_persistent_redis()
    {
        _redis = await PersistentRedis.StartAsync();
        _connection = await _redis.ConnectAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("fault"))
            .With("ExeSys:Redis:OperationTimeoutMs", "2000")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02")
            .With("ExeSys:Jobs:RetryBackoff", "00:00:00.100")
            .With("ExeSys:Worker:Concurrency", "16")
            .With("ExeSys:Worker:ShutdownGrace", "00:00:01");
        _deployment = await ExeSysDeployment.Build(settings).OnRedis(_redis.Endpoint, _connection).StartAsync();
        _controllers.Add(_deployment.StartController("controller-1"));
        for (var i = 0; i < 3; i++)
        {
            _workers.Add(_deployment.StartWorker(NextWorkerName()));
        }

        foreach (var worker in _workers)
        {
            await _deployment.WaitForWorkerAsync(worker);
        }

        await _deployment.WaitForControllerAsync(_controllers[^1]);
    }

    [TearDown]
    public async Task Stop_everything()
    {
        await _deployment.DisposeAsync();
        await _connection.DisposeAsync();
        await _redis.StopAfterTestAsync();
    }

    [Test]
    public async Task Should_finish_every_accepted_job_and_workflow_once_with_the_right_result()
    {
        var work = BuildWork();
        var clock = Stopwatch.StartNew();
        var accepted = new ConcurrentDictionary<int, Work>();
        var refused = new ConcurrentBag<string>();
        var next = -1;
        var submitters = Enumerable.Range(0, Submitters).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < work.Count)
            {
                // A steady pace, so that the faults below land while work is flowing.
                var due = Pace * index - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                var item = work[index];
                var outcome = await SubmitAsync(item);
                if (outcome is null)
                {
                    accepted[index] = item;
                    Interlocked.Increment(ref _accepted);
                }
                else
                {
                    refused.Add($"{item.From}/{item.JobId}: {outcome}");
                }
            }
        })).ToList();
        var faults = InjectFaultsAsync(work.Count);
        await Task.WhenAll(submitters);
        var submitted = clock.Elapsed;
        await faults;

        var unfinished = await WaitForEveryAcceptedJobToEndAsync(accepted.Values);
        var finished = clock.Elapsed;
        var (reruns, wrong) = await CheckEveryResultAsync(accepted.Values);
        var interrupted = await CheckInterruptedJobsAsync();
        var queueSettled = await QueueSettlesAsync();
        var lateRefused = _deployment.Processes.All.Where(p => p.Role == ExeSysRole.Worker).Sum(p => Count(p.Output, "Refused the late"));
        var takenBack = _deployment.Processes.All.Where(p => p.Role == ExeSysRole.Controller).Sum(p => Count(p.Output, "whose lease expired"));

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"accepted: {accepted.Values.Count(w => !w.IsWorkflow)} jobs, {accepted.Values.Count(w => w.IsWorkflow)} workflows (of {Jobs} and {Workflows}); submitted in {submitted.TotalSeconds:0.0} s, all ended after {finished.TotalSeconds:0.0} s");
        report.AppendLine(CultureInfo.InvariantCulture, $"refused for good: {refused.Count}; finished: {accepted.Count - unfinished.Count} of {accepted.Count}; wrong results: {wrong.Count}");
        report.AppendLine(CultureInfo.InvariantCulture, $"client retries: {string.Join(", ", _clientEvents.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} x{e.Value}"))}");
        report.AppendLine(CultureInfo.InvariantCulture, $"faults: {_kills.Count} worker kills (SIGKILL), {_controllerExitCodes.Count} controller restart(s), {_redis.Starts - 1} Redis restart(s)");
        foreach (var fault in _faults)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  {fault}");
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"jobs held by killed workers at their death: {interrupted.Held}, all run again and finished elsewhere: {interrupted.Problems.Count == 0}");
        report.AppendLine(CultureInfo.InvariantCulture, $"reruns (attempts > 1, allowed by at-least-once): {reruns.Jobs} jobs, {reruns.Nodes} workflow nodes; late results refused by fencing: {lateRefused}; controller lease take-back rounds: {takenBack}");
        await TestContext.Out.WriteLineAsync(report.ToString());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.Empty, "a valid command was refused for good");
            Assert.That(accepted.Values.Count(w => !w.IsWorkflow), Is.EqualTo(Jobs), "every job was accepted in the end");
            Assert.That(accepted.Values.Count(w => w.IsWorkflow), Is.EqualTo(Workflows), "every workflow was accepted in the end");
            Assert.That(unfinished, Is.Empty, "accepted but never finished (lost)");
            Assert.That(wrong, Is.Empty, "finished with a wrong result");
            Assert.That(interrupted.Problems, Is.Empty, "a job a killed worker held was not run again elsewhere");
            Assert.That(queueSettled, Is.EqualTo((0L, 0L, 0L)), "ready, inflight and scheduled must end empty");
            Assert.That(_kills, Has.Count.GreaterThanOrEqualTo(3));
            Assert.That(_controllerExitCodes, Has.Count.EqualTo(1).And.All.EqualTo(0), "the controller exits 0 on SIGTERM");
            Assert.That(_redis.Starts, Is.EqualTo(2), "Redis was restarted once");
            Assert.That(_workers.Append(_controllers[^1]).Append(_deployment.Api).Where(p => p.HasExited).Select(p => p.Name), Is.Empty,
                "the processes still meant to run are running");
        }
    }

    // ----- the work -----

    private static List<Work> BuildWork()
    {
        var work = new List<Work>(Jobs + Workflows);
        var flow = 0;
        for (var i = 0; i < Jobs; i++)
        {
            var id = $"job-{i.ToString("D4", CultureInfo.InvariantCulture)}";
            if (i % 10 < 7)
            {
                var data = new JsonObject { ["i"] = i, ["payload"] = $"payload {i.ToString(CultureInfo.InvariantCulture)} é😀" }.ToJsonString();
                work.Add(new Work(work.Count, false, JobsFrom, id, SysCmdHttp.Command(JobsFrom, id, "echo", data), data));
            }
            else
            {
                // A few ms to a quarter second, so that every worker usually holds some jobs when it is killed.
                var ms = 1 + (i * 37 % 250);
                var data = new JsonObject { ["ms"] = ms, ["i"] = i }.ToJsonString();
                work.Add(new Work(work.Count, false, JobsFrom, id, SysCmdHttp.Command(JobsFrom, id, "sleep", data), $"{{\"slept_ms\":{ms.ToString(CultureInfo.InvariantCulture)}}}"));
            }

            if (i % (Jobs / Workflows) == (Jobs / Workflows / 2))
            {
                work.Add(Diamond(work.Count, flow++));
            }
        }

        return work;
    }

    /// <summary>a = 1 + k, b = 10 + a, c = 100 + a, d = b + c = 112 + 2k: a distinct EOJ per run.</summary>
    private static Work Diamond(int index, int k)
    {
        var id = $"wf-{k.ToString("D3", CultureInfo.InvariantCulture)}";
        var body = new JsonObject
        {
            ["from"] = WorkflowsFrom,
            ["job_id"] = id,
            ["data"] = k,
            ["nodes"] = new JsonObject
            {
                ["a"] = new JsonObject { ["cmd"] = "sum", ["data"] = 1, ["next"] = new JsonArray("b", "c") },
                ["b"] = new JsonObject { ["cmd"] = "sum", ["data"] = 10, ["next"] = new JsonArray("d") },
                ["c"] = new JsonObject { ["cmd"] = "sum", ["data"] = 100, ["next"] = new JsonArray("d") },
                ["d"] = new JsonObject { ["cmd"] = "sum", ["next"] = new JsonArray("end_job") },
            },
        };
        return new Work(index, true, WorkflowsFrom, id, body.ToJsonString(), (112 + (2 * k)).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Sends until accepted (200/202), retrying what the README says to retry. Null when accepted, else why not.</summary>
    private async Task<string?> SubmitAsync(Work item)
    {
        var path = item.IsWorkflow ? "/workflows" : "/sys_cmd";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            string retry;
            try
            {
                using var response = await _deployment.Client.PostAsync(new Uri(path, UriKind.Relative), SysCmdHttp.Json(item.Body));
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted)
                {
                    return null;
                }

                var text = await response.Content.ReadAsStringAsync();
                // 503: Redis unreachable, nothing accepted. 422: no live worker offers the function, which happens
                // while the workers' heartbeats are missing after a Redis restart.
                if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.UnprocessableEntity))
                {
                    return $"{(int)response.StatusCode} {text}";
                }

                retry = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                retry = ex.GetType().Name;
            }

            _clientEvents.AddOrUpdate(retry, 1, (_, n) => n + 1);
            Interlocked.Exchange(ref _lastOutageSignal, Stopwatch.GetTimestamp());
            if (deadline.Elapsed > SubmitDeadline)
            {
                return $"still {retry} after {SubmitDeadline.TotalSeconds:0} s";
            }

            await Task.Delay(100); // the client's back-off between retries
        }
    }

    // ----- the faults -----

    private async Task InjectFaultsAsync(int total)
    {
        await AfterAcceptedAsync(total * 7 / 100);
        await KillAWorkerAsync();
        await AfterAcceptedAsync(total * 22 / 100);
        await RestartTheControllerAsync();
        await AfterAcceptedAsync(total * 36 / 100);
        await KillAWorkerAsync();
        await AfterAcceptedAsync(total * 50 / 100);
        await RestartRedisAsync();
        await AfterAcceptedAsync(total * 64 / 100);
        await KillAWorkerAsync();
        await AfterAcceptedAsync(total * 80 / 100);
        await KillAWorkerAsync();
    }

    private Task AfterAcceptedAsync(int count) =>
        Eventually.WaitForAsync(() => Volatile.Read(ref _accepted) >= count, TimeSpan.FromSeconds(120), $"{count} accepted commands");

    /// <summary>SIGKILL the live worker holding the most jobs, note what it held, start a replacement.</summary>
    private async Task KillAWorkerAsync()
    {
        var live = _workers.Where(w => !w.HasExited).ToList();
        var holding = await Eventually.WaitForAsync(
            async () => (await Task.WhenAll(live.Select(async w => (Worker: w, Held: (await RedisRetryAsync(() => _deployment.RunningOnAsync(w.Name))).Count))))
                .OrderByDescending(x => x.Held).First(),
            x => x.Held > 0, TimeSpan.FromSeconds(60), "a worker to be running jobs");
        var victim = holding.Worker;
        victim.Crash();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var held = await RedisRetryAsync(() => _deployment.RunningOnAsync(victim.Name));
        _kills.Add((victim.Name, held));
        _workers.Remove(victim);
        _faults.Add($"{Volatile.Read(ref _accepted),5} accepted: SIGKILL {victim.Name} holding {held.Count} running job(s)");

        var replacement = _deployment.StartWorker(NextWorkerName());
        _workers.Add(replacement);
        await _deployment.WaitForWorkerAsync(replacement);
    }

    private async Task RestartTheControllerAsync()
    {
        var old = _controllers[^1];
        old.Terminate();
        var exit = await old.WaitForExitAsync(TimeSpan.FromSeconds(15));
        _controllerExitCodes.Add(exit ?? -1);
        _faults.Add($"{Volatile.Read(ref _accepted),5} accepted: SIGTERM {old.Name} (exit {exit}), started a new one");
        _controllers.Add(_deployment.StartController("controller-2"));
        await _deployment.WaitForControllerAsync(_controllers[^1]);
    }

    /// <summary>SHUTDOWN (AOF fsynced), hold it down until the clients have seen it, then start it on the same port and data.</summary>
    private async Task RestartRedisAsync()
    {
        var down = Stopwatch.StartNew();
        var at = Volatile.Read(ref _accepted);
        await _redis.ShutdownAsync();
        var since = Stopwatch.GetTimestamp();
        await Eventually.WaitForAsync(() => Interlocked.Read(ref _lastOutageSignal) > since, TimeSpan.FromSeconds(10), "a client to notice that Redis is down");
        await _redis.StartAgainAsync();
        _faults.Add($"{at,5} accepted: Redis SHUTDOWN and started again ({down.Elapsed.TotalSeconds:0.0} s down)");
        await RedisRetryAsync(() => _connection.GetDatabase().PingAsync());
    }

    private string NextWorkerName() => $"worker-{Interlocked.Increment(ref _workerCount).ToString(CultureInfo.InvariantCulture)}";

    // ----- the invariants -----

    /// <summary>Waits until every accepted job and workflow run is in state 3 or 4; returns the ones that never got there.</summary>
    private async Task<List<string>> WaitForEveryAcceptedJobToEndAsync(ICollection<Work> accepted)
    {
        var refs = accepted.Select(w => new JobRef(w.From, w.JobId)).ToList();
        try
        {
            await Eventually.WaitForAsync(async () => (await StatesAsync(refs)).Count(s => s is "3" or "4"), n => n == refs.Count,
                TimeSpan.FromSeconds(30), "every accepted job to end");
            return [];
        }
        catch (TimeoutException)
        {
            var states = await StatesAsync(refs);
            var db = _connection.GetDatabase();
            var stuck = new List<string>();
            for (var i = 0; i < refs.Count; i++)
            {
                if (states[i] is not ("3" or "4"))
                {
                    var hash = await db.HashGetAllAsync(_deployment.Keys.Status(refs[i]));
                    var ready = await db.ReadyScoreAsync(_deployment.Keys.Default, refs[i].Member);
                    var inflight = await db.SortedSetScoreAsync(_deployment.Keys.Inflight, refs[i].Member);
                    stuck.Add($"{refs[i]}: {string.Join(" ", hash.Select(h => $"{h.Name}={Short(h.Value)}"))}; ready={ready?.ToString(CultureInfo.InvariantCulture) ?? "no"} inflight={inflight?.ToString(CultureInfo.InvariantCulture) ?? "no"}");
                }
            }

            return stuck;
        }
    }

    private async Task<string?[]> StatesAsync(IReadOnlyList<JobRef> refs)
    {
        var db = _connection.GetDatabase();
        var states = await Task.WhenAll(refs.Select(r => db.HashGetAsync(_deployment.Keys.Status(r), "st")));
        return [.. states.Select(s => (string?)s)];
    }

    /// <summary>Reads every job and workflow the way a client does and compares it with what it must be.</summary>
    private async Task<((int Jobs, int Nodes) Reruns, List<string> Wrong)> CheckEveryResultAsync(ICollection<Work> accepted)
    {
        var wrong = new ConcurrentBag<string>();
        var jobReruns = 0;
        var nodeReruns = 0;
        using var client = ExeSysDeployment.NewClient(_deployment.BaseAddress);
        await Parallel.ForEachAsync(accepted, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, _) =>
        {
            if (item.IsWorkflow)
            {
                var reply = await SysCmdHttp.GetAsync(client, $"/workflows/{item.From}/{item.JobId}");
                var run = reply.Get("run");
                var nodes = reply.Get("nodes").EnumerateArray().ToList();
                var ok = reply.Code == 200 && run.GetProperty("state").GetInt32() == 3 && reply.Field("phase") == "done" &&
                    run.TryGetProperty("data", out var data) && data.GetRawText() == item.ExpectedJson &&
                    nodes.Count == 4 && nodes.All(n => n.GetProperty("state").GetInt32() == 3);
                Interlocked.Add(ref nodeReruns, nodes.Count(n => n.GetProperty("attempts").GetInt32() > 1));
                if (!ok)
                {
                    wrong.Add($"{item.From}/{item.JobId}: expected EOJ {item.ExpectedJson}, got {Short(reply.Text)}");
                }
            }
            else
            {
                var reply = await SysCmdHttp.GetAsync(client, $"/jobs/{item.From}/{item.JobId}");
                var ok = reply.Code == 200 && reply.State == 3 && reply.Has("data") && SameJson(reply.Get("data"), item.ExpectedJson) && reply.Attempts >= 1;
                if (reply.Code == 200 && reply.Attempts > 1)
                {
                    Interlocked.Increment(ref jobReruns);
                }

                if (!ok)
                {
                    wrong.Add($"{item.From}/{item.JobId}: expected EOJ {item.ExpectedJson}, got {Short(reply.Text)}");
                }
            }
        });
        return ((jobReruns, nodeReruns), [.. wrong]);
    }

    /// <summary>Every job a killed worker was running must have been finished by another worker, on a later attempt.</summary>
    private async Task<(int Held, List<string> Problems)> CheckInterruptedJobsAsync()
    {
        var problems = new List<string>();
        var held = 0;
        foreach (var (worker, jobs) in _kills)
        {
            foreach (var job in jobs)
            {
                held++;
                var status = await _deployment.StatusAsync(job.From, job.JobId);
                if (status.GetValueOrDefault("st") != "3" || status.GetValueOrDefault("wk") == worker || int.Parse(status.GetValueOrDefault("at", "0"), CultureInfo.InvariantCulture) < 2)
                {
                    problems.Add($"{job} (held by {worker}): {string.Join(" ", status.Select(s => $"{s.Key}={Short(s.Value)}"))}");
                }
            }
        }

        return (held, problems);
    }

    /// <summary>Acks are fire-and-forget and a dead worker's lease lingers until it expires, so the queue settles shortly after.</summary>
    private async Task<(long, long, long)> QueueSettlesAsync()
    {
        try
        {
            return await Eventually.WaitForAsync(_deployment.QueueSizesAsync, q => q == (0, 0, 0), TimeSpan.FromSeconds(20), "the queue to empty");
        }
        catch (TimeoutException)
        {
            return await _deployment.QueueSizesAsync();
        }
    }

    // ----- helpers -----

    /// <summary>The test's own reads go on through the Redis restart.</summary>
    private static async Task<T> RedisRetryAsync<T>(Func<Task<T>> read)
    {
        var answer = await Eventually.WaitForAsync(
            async () =>
            {
                try
                {
                    return (Ok: true, Value: await read());
                }
                catch (RedisException)
                {
                    return (Ok: false, Value: default(T)!);
                }
            },
            r => r.Ok,
            TimeSpan.FromSeconds(30),
            "Redis to answer the test");
        return answer.Value;
    }

    private static bool SameJson(JsonElement actual, string expectedJson)
    {
        using var expected = JsonDocument.Parse(expectedJson);
        return JsonElement.DeepEquals(actual, expected.RootElement);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Short(string? text) => text is null ? "null" : text.Length > 200 ? text[..200] + "..." : text;
}
