using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// The console in a real headless Firefox: Debian's <c>/usr/bin/firefox-esr</c> with a fresh temporary profile, driven
/// over WebDriver BiDi by puppeteer-core on node (ExeSys.Tests/Tooling/firefox/console-smoke.mjs, installed by its
/// install.sh, which test.sh runs; nothing downloads a browser). Playwright cannot drive Debian's Firefox, so the
/// script does the browsing and this fixture starts real API, controller and worker processes with keys required, runs
/// a real echo job and a real three-node graph run, and asserts the script's verdict: every section's page, the job's
/// page and the run's graph draw, with no page error, console error or 5xx answer in the browser.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Using_the_console_in_firefox
{
    public const string FirefoxPath = "/usr/bin/firefox-esr";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    private const string ThreeNodes = """
        {
          "a": {"cmd": "echo", "data": {"step": "a"}, "next": ["b", "c"]},
          "b": {"cmd": "echo", "data": {"step": "b"}, "next": ["end_job"]},
          "c": {"cmd": "echo", "data": {"step": "c"}, "next": ["end_job"]}
        }
        """;

    private readonly string _adminKey = "bootstrap-" + Guid.NewGuid().ToString("N");
    private ExeSysDeployment _deployment = null!;

    /// <summary>ExeSys.Tests/Tooling/firefox in the repository the tests were built from.</summary>
    private static string ToolingDirectory => Repository.Tooling("firefox");

    [OneTimeSetUp]
    public async Task Start_the_processes()
    {
        if (!File.Exists(FirefoxPath))
        {
            Assert.Fail($"{FirefoxPath} is missing: install Debian's firefox-esr (./test.sh does: apt-get install firefox-esr).");
        }

        if (!Directory.Exists(Path.Combine(ToolingDirectory, "node_modules", "puppeteer-core")))
        {
            Assert.Fail($"puppeteer-core is not installed: run {Path.Combine(ToolingDirectory, "install.sh")} (test.sh does).");
        }

        var settings = TestSettings.For(TestRedis.NewPrefix(GetType().Name))
            .With("ExeSys:Auth:BootstrapKey", _adminKey)
            .With("ExeSys:Auth:RefreshInterval", "00:00:00.500");
        _deployment = await ExeSysDeployment.Build(settings).WithApiProcess().WithController("controller").WithWorker("worker").WaitForRegistration().StartAsync();
        _deployment.Client.DefaultRequestHeaders.Add("X-Api-Key", _adminKey);
    }

    [OneTimeTearDown]
    public async Task Stop_the_processes()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_draw_every_page_the_job_and_the_run_graph_in_firefox_without_a_browser_error()
    {
        var jobId = "job-" + Guid.NewGuid().ToString("N")[..10];
        var job = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("firefox", jobId, "echo", """{"answer":42}"""), "?wait=5s");
        Assert.That((job.Code, job.State), Is.EqualTo((200, 3)), job.Text);

        var runId = "run-" + Guid.NewGuid().ToString("N")[..10];
        var submitted = await _deployment.SubmitRunAsync(RunBody.Graph("firefox-graph", runId, ThreeNodes));
        Assert.That(submitted.Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), submitted.Text);
        var run = await _deployment.WaitForRunAsync("firefox-graph", runId, TimeSpan.FromSeconds(30));
        Assert.That((run.Phase, run.Nodes.Count), Is.EqualTo(("done", 3)), run.Text);

        var (exitCode, stdout, stderr) = await RunSmokeScriptAsync("--url", _deployment.BaseAddress.ToString(), "--job", $"firefox/{jobId}", "--run", $"firefox-graph/{runId}");

        var report = $"exit code {exitCode}{Environment.NewLine}stdout:{Environment.NewLine}{stdout}{Environment.NewLine}stderr:{Environment.NewLine}{stderr}";
        await TestContext.Out.WriteLineAsync(stdout.Trim());
        Assert.That(exitCode, Is.Zero, report);
        using var verdict = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        Assert.That(verdict.RootElement.GetProperty("ok").GetBoolean(), Is.True, report);
        Assert.That(verdict.RootElement.GetProperty("browser").GetString(), Does.StartWith("firefox/"), report);
    }

    /// <summary>node console-smoke.mjs with <paramref name="arguments"/> (the key in its environment); killed with its browser after <see cref="ScriptTimeout"/>.</summary>
    private async Task<(int ExitCode, string Stdout, string Stderr)> RunSmokeScriptAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = ToolingDirectory,
        };
        info.ArgumentList.Add("console-smoke.mjs");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["CONSOLE_API_KEY"] = _adminKey;
        info.Environment["FIREFOX"] = FirefoxPath;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node for console-smoke.mjs.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"console-smoke.mjs did not end within {ScriptTimeout.TotalSeconds:0}s.{Environment.NewLine}stdout:{Environment.NewLine}{await stdout}{Environment.NewLine}stderr:{Environment.NewLine}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
