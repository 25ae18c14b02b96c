using System.Diagnostics;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Benchmark;

/// <summary>
/// Benchmarks are not tests, but the benchmark tool must not rot: a tiny run of it (its own redis-server and ExeSys
/// processes, a few dozen jobs, a few workflow runs) has to finish and write its results. No figure's size is
/// asserted, only that every scenario ran and measured something.
/// </summary>
[TestFixture]
public sealed class Running_the_benchmark
{
    [Test]
    [CancelAfter(240_000)]
    public async Task Should_finish_a_smoke_run_and_write_its_results(CancellationToken cancellationToken)
    {
        var api = new FileInfo(ExeSysProcess.DllPath(ExeSysRole.Api));
        var configuration = api.Directory!.Parent!.Name;
        var repo = api.Directory!.Parent!.Parent!.Parent!.Parent!.FullName;
        var bench = Path.Combine(repo, "bench", "ExeSys.Bench", "bin", configuration, api.Directory.Name, "ExeSys.Bench.dll");
        Assert.That(bench, Does.Exist, "the benchmark tool is built with the solution (dotnet build ExeSys.sln)");

        var results = Path.Combine(Path.GetTempPath(), $"exesys-bench-smoke-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(ExeSysProcess.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { bench, "--smoke", "--repo", repo, "--configuration", configuration, "--out", results })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout + await stderr;
        await TestContext.Out.WriteLineAsync(output);

        try
        {
            using (Assert.EnterMultipleScope())
            {
                Assert.That(process.ExitCode, Is.Zero, output);
                Assert.That(output, Does.Contain("noop").And.Contain("batch").And.Contain("latency").And.Contain("chain10 1 at a time").And.Contain("dag100"), "the table names its scenarios");
                Assert.That(results, Does.Exist);
            }

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(results, cancellationToken));
            Assert.That(json.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), "the results file is one JSON object");
            var scenarios = json.RootElement.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            using (Assert.EnterMultipleScope())
            {
                var batch = scenarios["batch"].GetProperty("rows").EnumerateArray().Single().GetProperty("median");
                Assert.That(batch.GetProperty("failed").GetDouble(), Is.Zero, "every batch came back with every job done");
                Assert.That(batch.GetProperty("throughput_jobs_per_s").GetDouble(), Is.GreaterThan(0), "batch measured jobs/s");
                foreach (var name in new[] { "chain10", "dag100" })
                {
                    Assert.That(scenarios, Does.ContainKey(name));
                    var scenario = scenarios[name];
                    Assert.That(scenario.GetProperty("status").GetString(), Is.EqualTo("ok"), $"{name} ran");
                    var rows = scenario.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("median")).ToList();
                    Assert.That(rows, Is.Not.Empty, $"{name} has figures");
                    foreach (var row in rows)
                    {
                        Assert.That(row.GetProperty("failed").GetDouble(), Is.Zero, $"{name}: every run finished with every node done");
                        Assert.That(row.GetProperty("runs_per_s").GetDouble(), Is.GreaterThan(0), $"{name} measured runs");
                        Assert.That(row.GetProperty("step_overhead_samples").GetDouble(), Is.GreaterThan(0), $"{name} read the gaps between steps from the stored node times");
                        Assert.That(row.GetProperty("monitor_step_overhead_samples").GetDouble(), Is.GreaterThan(0), $"{name} measured the gaps under MONITOR");
                    }
                }
            }
        }
        finally
        {
            File.Delete(results);
        }
    }
}
