using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Workflows;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// Not a check: the tool that takes the README's screenshots of every console page (docs/screenshots/*.png), in the
/// same real headless Chromium against the same real processes as the browser tests, with a little real work done
/// first (jobs that finish and fail, a delayed job, a runner, two graph runs, a definition). Explicit, so the suite
/// never runs it; run it with
/// <c>dotnet test ExeSys.Tests/ExeSys.Tests.csproj -c Release --filter "FullyQualifiedName~Taking_the_readme_screenshots"</c>.
/// </summary>
[TestFixture]
[Explicit("Writes docs/screenshots: run it by name when the console changes.")]
public sealed class Taking_the_readme_screenshots : ConsoleBrowserFixture
{
    private const string From = "shop";

    private static readonly string Diamond = """
        {
          "charge": {"cmd": "echo", "data": {"step": "charge"}, "next": ["pack", "invoice"]},
          "pack":   {"cmd": "sleep", "data": 300, "next": ["ship"]},
          "invoice":{"cmd": "echo", "data": {"step": "invoice"}, "next": ["ship"]},
          "ship":   {"cmd": "echo", "data": {"status": "open"}, "next": [{"to": "notify", "when": {"path": "status", "equals": "paid"}}, "archive"]},
          "notify": {"cmd": "echo", "next": ["end_job"]},
          "archive":{"cmd": "echo", "next": ["end_job"]}
        }
        """;

    private static string Folder => Directory.CreateDirectory(Path.Combine(Repository.Root, "docs", "screenshots")).FullName;

    [Test]
    public async Task Take_a_screenshot_of_every_page()
    {
        var (run, failed) = await DoSomeWorkAsync();
        var login = await OpenConsoleAsync(null);
        await ShotAsync(login, "login");

        var page = await OpenConsoleAsync(AdminKey, "#/overview");
        await Task.Delay(2500); // the chart's first points
        var shots = new (string Hash, string Name)[]
        {
            ("#/overview", "overview"), ("#/jobs", "jobs"), ($"#/jobs/{From}/{failed}", "job"), ("#/runs", "workflows"),
            ($"#/runs/{From}/{run}", "run"), ("#/definitions", "definitions"), ("#/definitions/order-flow", "definition"),
            ("#/workers", "workers"), ("#/modules", "modules"), ("#/functions", "functions"), ("#/runners", "runners"),
            ("#/queues", "queues"), ("#/history", "history"),
        };
        foreach (var (hash, name) in shots)
        {
            await page.GotoAsync("/console/" + hash);
            await Expect(page.GetByText("Loading…")).ToHaveCountAsync(0);
            await Task.Delay(700);
            await ShotAsync(page, name, fullPage: name == "run");
        }

        await page.GotoAsync($"/console/#/runs/{From}/{run}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark mode" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Node ship:") }).ClickAsync();
        await Task.Delay(700);
        await ShotAsync(page, "run-dark");
    }

    /// <param name="fullPage">The whole page, not the first screen (the run page's timeline is below its graph).</param>
    private static async Task ShotAsync(IPage page, string name, bool fullPage = false) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = fullPage });

    private async Task<(string Run, string Failed)> DoSomeWorkAsync()
    {
        // History needs MongoDB, which this deployment does not run: its page says so.
        ExpectConsoleError("404");
        for (var i = 0; i < 6; i++)
        {
            await PostAsync(SysCmdHttp.Command(From, $"order-{1040 + i}", "echo", $$"""{"order":{{1040 + i}}}"""), "?wait=5s");
        }

        var failed = "order-1046";
        await PostAsync(SysCmdHttp.Command(From, failed, "fail", """{"message":"card declined"}"""), "?wait=5s");
        await PostAsync(SysCmdHttp.Command("billing", "invoice-7", "fail", "\"PDF renderer unreachable\""), "?wait=5s");
        await PostAsync(SysCmdHttp.Delayed("billing", "remind-42", "echo", "1", "2h"));
        await PostAsync(SysCmdHttp.Command("monitor", "ticker-1", "ticker", "500"));

        var definition = await Deployment.PutAsync("/workflows/definitions/order-flow", $$"""{"nodes": {{Diamond}} }""");
        Assert.That((int)definition.Status, Is.LessThan(300), definition.Text);
        var run = "run-" + Guid.NewGuid().ToString("N")[..8];
        var submitted = await Deployment.PostAsync("/workflows?wait=10s", RunBody.Graph(From, run, Diamond));
        Assert.That(submitted.Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), submitted.Text);
        await Deployment.PostAsync("/workflows", RunBody.Graph(From, "run-" + Guid.NewGuid().ToString("N")[..8], Diamond.Replace("300", "60000", StringComparison.Ordinal)));
        return (run, failed);
    }

    private async Task PostAsync(string json, string? query = null)
    {
        var reply = await SysCmdHttp.PostAsync(Deployment.Client, json, query);
        Assert.That(reply.Code, Is.LessThan(300), reply.Text);
    }
}
