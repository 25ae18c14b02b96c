using System.Diagnostics;
using System.Globalization;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using Microsoft.Playwright;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// The web console's speed, which the tests never assert: how long a run page takes to draw a 1,000-node graph in
/// Debian's headless Chromium (from navigation until every node is in the page), for a run ExeSys really ran.
/// </summary>
internal sealed class ConsoleScenario : IScenario
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>1,000 echo nodes in 20 layers of 50, each after 2 of the layer before.</summary>
    private static readonly WorkflowGraph Graph = new(Layers: 20, Width: 50, FanIn: 2);

    /// <summary>What the run page marks each drawn node with (ExeSys.Api/WebConsole/wwwroot/graph.js).</summary>
    public const string NodeSelector = "g.gnode";

    private const int Renders = 5;

    private const int SmokeRenders = 1;

    public string Name => "console";

    public string Description => "the console's run page drawing a 1,000-node graph in headless Chromium (navigation to every node drawn)";

    public string? Unavailable => File.Exists(ChromiumPath) ? null : $"{ChromiumPath} is missing (apt-get install chromium)";

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var jobId = context.JobIdPrefix(Name, repetition, "graph");
        var outcome = await context.Client.SubmitWorkflowAndWaitAsync(jobId, Graph.Body(JobClient.From, jobId), null, cancellationToken);
        if (!outcome.Done)
        {
            throw new InvalidOperationException($"the 1,000-node run did not finish: {outcome.Error}");
        }

        var renders = new List<double>();
        var errors = new List<string>();
        using (var playwright = await Playwright.CreateAsync())
        {
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage"] });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = context.Target.Api.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            page.PageError += (_, e) => errors.Add("page error: " + e);
            await page.GotoAsync("/console/");
            if (context.Options.ApiKey is { } key)
            {
                await page.GetByLabel("API key").FillAsync(key);
                await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            }

            await page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" }).WaitForAsync();
            var path = $"#/runs/{Uri.EscapeDataString(JobClient.From)}/{Uri.EscapeDataString(jobId)}";
            for (var i = 0; i < (context.Options.Smoke ? SmokeRenders : Renders); i++)
            {
                await page.GotoAsync("/console/#/overview");
                var started = Stopwatch.GetTimestamp();
                await page.GotoAsync("/console/" + path);
                await page.WaitForFunctionAsync($"n => document.querySelectorAll('{NodeSelector}').length >= n", Graph.Nodes, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 5 });
                renders.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var figures = new Figures
        {
            ["graph_nodes"] = Graph.Nodes,
            ["graph_edges"] = Graph.Edges,
            ["graph_renders"] = renders.Count,
        };
        Percentiles.Summarize(figures, "graph_render", renders);
        await context.DeleteWorkflowRunsAsync([jobId], Graph);
        return [new ScenarioRow(string.Create(CultureInfo.InvariantCulture, $"{Name} graph {Graph.Nodes:N0} nodes"), figures, errors)];
    }

    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);
}
