using System.Net;
using System.Text.Json;
using ExeSys.Core.Stats;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Observability;

/// <summary>
/// A real worker process with JSON console logs (Logging:Console:FormatterName=json, scopes on in appsettings.json) runs
/// jobs of known outcomes and run times: GET /stats counts them exactly, with percentiles within the histogram's
/// resolution, and the line the worker logs inside a failing attempt carries the job's scope, with its submit's trace id.
/// </summary>
[TestFixture]
public sealed class Reading_run_statistics_and_job_logs_of_a_real_worker : ProcessFixture
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static readonly string[] OnlyFail = ["fail"];

    protected override TestSettings Configure(TestSettings settings) => settings.With("ExeSys:Stats:FlushInterval", "00:00:00.300");

    [Test]
    public async Task Should_count_every_attempt_by_outcome_with_its_run_time_percentiles_and_log_it_in_the_jobs_scope()
    {
        // JSON console lines, and the worker's Debug line for a function's own failure (FunctionException).
        var worker = Processes.Start(ExeSysRole.Worker, "worker", Settings.With("ExeSys:Worker:Id", "stats-worker")
            .With("Logging:Console:FormatterName", "json").With("Logging:LogLevel:ExeSys.Worker.Execution.JobExecutor", "Debug"));
        await WaitForReadyAsync(workers: 1, controllers: 0);

        // Known outcomes: 5 sleeps of 200 ms and one of 1000 ms (ok: p50 is a 200 ms one, p95 and p99 the 1000 ms one) and
        // 2 fails (failed, never retried: a FunctionException), the first fail submitted in a known trace.
        for (var i = 0; i < 6; i++)
        {
            await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("stats", $"sleep-{i}", "sleep", i == 5 ? "1000" : "200"));
        }

        for (var i = 0; i < 2; i++)
        {
            var traced = i == 0;
            await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("stats", $"fail-{i}", "fail", "\"on purpose\""), configure: r =>
            {
                if (traced)
                {
                    r.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
                }
            });
        }

        var stats = await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(Api.Client, "/stats"),
            r => r.Code == 200 && Total(r, "sleep") == 6 && Total(r, "fail") == 2,
            TimeSpan.FromSeconds(30), "/stats to count every attempt");
        var sleep = stats.Body.GetProperty("functions").GetProperty("sleep");
        var one = await SysCmdHttp.GetAsync(Api.Client, "/stats?function=fail");
        var bad = await SysCmdHttp.GetAsync(Api.Client, "/stats?window=day");
        var badName = await SysCmdHttp.GetAsync(Api.Client, "/stats?function=a:b");
        var logged = await Eventually.WaitForAsync(
            () => Task.FromResult(JsonLines(worker.Output).FirstOrDefault(l => Scope(l, "job_id") == "fail-0")),
            l => l.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(10), "the worker to log the failing attempt as JSON");

        using (Assert.EnterMultipleScope())
        {
            foreach (var window in new[] { "minute", "hour", "day" })
            {
                var w = sleep.GetProperty(window);
                Assert.That(w.GetProperty("counts").GetProperty(RunOutcome.Ok).GetInt64(), Is.EqualTo(6), window);
                // A percentile is its bucket's middle: within one bucket (19%) of the run time, which is the sleep plus
                // the worker's own scheduling (up to 15% more allowed on a loaded machine).
                Assert.That(w.GetProperty("p50_ms").GetDouble(), Is.InRange(200 / 1.19, 200 * 1.19 * 1.15), $"{window} p50: {stats.Text}");
                Assert.That(w.GetProperty("p95_ms").GetDouble(), Is.InRange(1000 / 1.19, 1000 * 1.19 * 1.15), $"{window} p95: {stats.Text}");
                Assert.That(w.GetProperty("p99_ms").GetDouble(), Is.InRange(1000 / 1.19, 1000 * 1.19 * 1.15), $"{window} p99: {stats.Text}");
            }

            Assert.That(stats.Body.GetProperty("functions").GetProperty("fail").GetProperty("hour").GetProperty("counts").GetProperty(RunOutcome.Failed).GetInt64(), Is.EqualTo(2), stats.Text);
            Assert.That(one.Body.GetProperty("functions").EnumerateObject().Select(p => p.Name), Is.EqualTo(OnlyFail), one.Text);
            Assert.That((bad.Code, bad.MediaType, bad.Body.GetProperty("errors").TryGetProperty("window", out _)), Is.EqualTo((400, "application/problem+json", true)), bad.Text);
            Assert.That((badName.Code, badName.Body.GetProperty("errors").TryGetProperty("function", out _)), Is.EqualTo((400, true)), badName.Text);

            Assert.That((Scope(logged, "from"), Scope(logged, "function")), Is.EqualTo(("stats", "fail")), logged.ToString());
            Assert.That(Scope(logged, "attempt"), Is.EqualTo("1"), logged.ToString());
            Assert.That(Scope(logged, "trace_id"), Is.EqualTo(TraceId), "the graph's submit trace: " + logged);
        }
    }

    private static long Total(Reply stats, string function) =>
        stats.Body.GetProperty("functions").TryGetProperty(function, out var f) ? f.GetProperty("day").GetProperty("total").GetInt64() : -1;

    /// <summary>The JSON console formatter writes one JSON object per line.</summary>
    private static IEnumerable<JsonElement> JsonLines(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            // The process set's output puts its time and stream before each line the process wrote.
            var start = line.IndexOf('{', StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }

            var text = line[start..].Trim();

            JsonElement parsed;
            try
            {
                parsed = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            yield return parsed;
        }
    }

    /// <summary>A value from the line's logger scopes (JSON console: "Scopes": [{...}]), as text.</summary>
    private static string? Scope(JsonElement line, string name)
    {
        if (!line.TryGetProperty("Scopes", out var scopes))
        {
            return null;
        }

        foreach (var scope in scopes.EnumerateArray())
        {
            if (scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty(name, out var value))
            {
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            }
        }

        return null;
    }
}
