using System.Diagnostics;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Benchmark;

/// <summary>
/// Benchmarks are not tests, but the benchmark tool must not rot: a tiny run of it (its own redis-server and ExeSys
/// processes, a few dozen jobs) has to finish and write its results. No figure is asserted.
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
                Assert.That(output, Does.Contain("noop").And.Contain("latency"), "the table names its scenarios");
                Assert.That(results, Does.Exist);
            }

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(results, cancellationToken));
            Assert.That(json.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), "the results file is one JSON object");
        }
        finally
        {
            File.Delete(results);
        }
    }
}
