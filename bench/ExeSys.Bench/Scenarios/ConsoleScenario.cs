using System.Diagnostics;
using System.Globalization;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using Microsoft.Playwright;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// The web console's speed, which the tests never assert: how long a run page takes to draw a 1,000-node graph in
/// Debian's headless Chromium (from navigation until every node is in the page), for a run ExeSys really ran; and how
/// long <c>GET /console/api/jobs</c> takes with --retained finished jobs in Redis (copies of a real one, see
/// <see cref="RetainedJobs"/>), the newest ExeSys:Console:RecentJobs of them in the tenant's index as ExeSys would have
/// left them.
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

    public string Description => "the console: its run page drawing a 1,000-node graph in headless Chromium, and the jobs list with --retained jobs in Redis";

    /// <summary>The default ExeSys:Console:RecentJobs: the index holds the newest this many of a tenant's jobs.</summary>
    private const int IndexBound = 100_000;

    private const int ListRequests = 20;

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
        var list = await MeasureListAsync(context, repetition, cancellationToken);
        return
        [
            new ScenarioRow(string.Create(CultureInfo.InvariantCulture, $"{Name} graph {Graph.Nodes:N0} nodes"), figures, errors),
            list,
        ];
    }

    private async Task<ScenarioRow> MeasureListAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var prefix = context.JobIdPrefix(Name, repetition, "list");
        var real = $"{prefix}-real";
        var outcome = await context.Client.SubmitAndWaitAsync(real, JobClient.EchoBody(real, ScenarioCatalog.TinyData), ScenarioCatalog.TinyData, cancellationToken);
        if (!outcome.Done)
        {
            throw new InvalidOperationException($"the console scenario's template job did not finish: {outcome.Error}");
        }

        var retained = context.Options.Retained;
        var template = await RetainedJobs.ReadTemplateAsync(context.Redis, context.Keys, real);
        var copies = RetainedJobs.JobIds($"{prefix}-copy", retained);
        await RetainedJobs.WriteAsync(context.Redis, context.Keys, template, copies, cancellationToken);
        var index = context.Keys.RecentJobs("default");
        var indexed = RetainedJobs.JobIds($"{prefix}-copy", retained).Skip(Math.Max(0, retained - IndexBound)).ToList();
        var entryIds = new List<RedisValue>(indexed.Count);
        foreach (var chunk in indexed.Chunk(1_000))
        {
            var adds = chunk.Select(id => context.Redis.StreamAddAsync(index, "m", $"{JobClient.From}:{id}", maxLength: IndexBound, useApproximateMaxLength: true)).ToList();
            entryIds.AddRange(await Task.WhenAll(adds));
        }

        var errors = new List<string>();
        var timings = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        try
        {
            using var http = new HttpClient { BaseAddress = context.Target.Api, Timeout = TimeSpan.FromSeconds(30) };
            if (context.Options.ApiKey is { } key)
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", key);
            }

            var queries = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["newest"] = "limit=50",
                ["state_done"] = "state=3&limit=50",
                ["function"] = "cmd=echo&limit=50",
                ["client_prefix"] = $"from={JobClient.From}&prefix={Uri.EscapeDataString(prefix)}-copy-1&limit=50",
                ["state_failed"] = "state=4&limit=50",
            };
            for (var i = 0; i < (context.Options.Smoke ? 2 : ListRequests); i++)
            {
                foreach (var (label, query) in queries)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var reply = await http.GetAsync(new Uri("/console/api/jobs?" + query, UriKind.Relative), cancellationToken);
                    var body = await reply.Content.ReadAsStringAsync(cancellationToken);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (!reply.IsSuccessStatusCode && errors.Count < 5)
                    {
                        errors.Add($"GET /console/api/jobs?{query}: HTTP {(int)reply.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                    }

                    (timings.TryGetValue(label, out var list) ? list : timings[label] = []).Add(ms);
                }
            }
        }
        finally
        {
            foreach (var chunk in entryIds.Chunk(1_000))
            {
                await context.Redis.StreamDeleteAsync(index, chunk);
            }

            await context.DeleteJobsAsync([real, .. copies]);
        }

        var figures = new Figures { ["retained_jobs"] = retained, ["indexed_jobs"] = indexed.Count };
        foreach (var (label, list) in timings)
        {
            Percentiles.Summarize(figures, $"jobs_list_{label}", list);
        }

        return new ScenarioRow(string.Create(CultureInfo.InvariantCulture, $"{Name} jobs list +{retained:N0}"), figures, errors);
    }

    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);
}
