using System.Text.RegularExpressions;
using ExeSys.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// The console's overview, jobs, job, fleet and history pages in a real browser against real processes: the overview
/// shows the live worker and its chart, the job list filters by state, a job's page shows its result or its attempts'
/// errors, and no page of them raises a JavaScript error.
/// </summary>
[TestFixture]
public sealed partial class Browsing_jobs_in_the_console : ConsoleBrowserFixture
{
    private static readonly string[] Pages = ["overview", "jobs", "workers", "modules", "functions", "runners", "queues", "history"];

    protected override TestSettings Configure(TestSettings settings) => settings.With("ExeSys:Stats:FlushInterval", "00:00:00.500");

    [Test]
    public async Task Should_show_the_live_workers_and_the_jobs_per_second_chart_on_the_overview()
    {
        await SubmitAsync("ov", NewJobId(), "echo", "1");
        var page = await OpenConsoleAsync(AdminKey, "#/overview");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "Live workers" })).ToHaveTextAsync(new Regex(@"^\s*Live workers\s*1\s*$"));
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "Live controllers" })).ToHaveTextAsync(new Regex(@"^\s*Live controllers\s*1\s*$"));
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = JobsPerSecond() })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Waiting" }).GetByRole(AriaRole.Rowheader, new() { Name = "default" })).ToBeVisibleAsync();
        // The submit is counted within a flush: the chart's legend says this minute's rate is not zero.
        await Expect(page.GetByText(SubmittedThisMinute())).ToBeVisibleAsync(new() { Timeout = 15_000 });
    }

    [Test]
    public async Task Should_open_a_job_page_and_see_its_result_or_its_attempts_errors()
    {
        var ok = NewJobId();
        var failed = NewJobId();
        await SubmitAsync("pages", ok, "echo", """{"answer":42}""");
        await SubmitAsync("pages", failed, "fail", "\"disk full\"");

        var page = await OpenConsoleAsync(AdminKey, $"#/jobs/pages/{ok}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Result" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Result" })).ToContainTextAsync("\"answer\": 42");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Timeline" })).ToContainTextAsync("data_available");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Re-run as a new job" })).ToBeVisibleAsync();

        await page.GotoAsync($"/console/#/jobs/pages/{failed}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Attempts' errors" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Attempts' errors" }).GetByRole(AriaRole.Listitem)).ToHaveTextAsync(["disk full"]);
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Timeline" })).ToContainTextAsync("error");
    }

    [Test]
    public async Task Should_re_run_a_job_as_a_new_one_and_open_it()
    {
        var original = NewJobId();
        await SubmitAsync("rerun", original, "echo", """{"again":true}""");
        var page = await OpenConsoleAsync(AdminKey, $"#/jobs/rerun/{original}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Re-run as a new job" }).ClickAsync();

        // ('/' escaped: Playwright reads the pattern as a JavaScript regex literal.)
        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex($"^Job rerun\\/{Regex.Escape(original)}\\.rerun-") })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Result" })).ToContainTextAsync("\"again\": true");
    }

    [Test]
    public async Task Should_run_a_delayed_job_now_from_its_page()
    {
        var id = NewJobId();
        await SubmitDelayedAsync("later", id, "echo", """{"now":true}""");
        var page = await OpenConsoleAsync(AdminKey, $"#/jobs/later/{id}");

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Result" })).ToContainTextAsync("\"now\": true", new() { Timeout = 15_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeHiddenAsync();
    }

    [Test]
    public async Task Should_cancel_the_selected_waiting_jobs_from_the_list()
    {
        var ids = new[] { NewJobId(), NewJobId() };
        foreach (var id in ids)
        {
            await SubmitDelayedAsync("bulk", id, "fail", "\"must never run\"");
        }

        var page = await OpenConsoleAsync(AdminKey, "#/jobs?from=bulk");
        foreach (var id in ids)
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select bulk/{id}" }).CheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel selected (2)" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Cancel" })).ToContainTextAsync("Cancel: 2 done.");
        foreach (var id in ids)
        {
            var job = await SysCmdHttp.GetAsync(Deployment.Client, $"/jobs/bulk/{id}");
            Assert.That((job.State, job.Attempts), Is.EqualTo((4, 0)), job.Text);
            Assert.That(job.Field("error"), Does.StartWith("cancelled by"));
        }
    }

    [Test]
    public async Task Should_filter_the_job_list_by_state()
    {
        var ok = NewJobId();
        var failed = NewJobId();
        await SubmitAsync("filter", ok, "echo", "1");
        await SubmitAsync("filter", failed, "fail", "\"no\"");
        var page = await OpenConsoleAsync(AdminKey, "#/jobs");

        await page.GetByLabel("State").SelectOptionAsync(new SelectOptionValue { Label = "4 error" });
        await page.GetByLabel("Client (from)").FillAsync("filter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        var jobs = page.GetByRole(AriaRole.Table, new() { Name = "Jobs" });
        await Expect(jobs.GetByRole(AriaRole.Link, new() { Name = $"filter/{failed}" })).ToBeVisibleAsync();
        await Expect(jobs.GetByRole(AriaRole.Link, new() { Name = $"filter/{ok}" })).ToHaveCountAsync(0);
        Assert.That(page.Url, Does.Contain("state=4"), "the filter is in the address");
    }

    [Test]
    public async Task Should_open_every_page_of_the_overview_jobs_fleet_and_history_without_a_javascript_error()
    {
        await ExpectMissingEndpointAsync("/history/jobs");
        foreach (var key in new[] { AdminKey, ReadOnlyKey })
        {
            var page = await OpenConsoleAsync(key, "#/overview");
            foreach (var name in Pages)
            {
                await page.GotoAsync($"/console/#/{name}");
                await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(new Regex("^(Overview|Jobs|Workers|Modules|Functions|Runners|Queues|History)$"));
                await Expect(page.GetByText("Loading…")).ToHaveCountAsync(0);
                if (name == "workers")
                {
                    await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Fleet" }).GetByRole(AriaRole.Link)).ToHaveCountAsync(5);
                }

                if (name == "queues")
                {
                    // Pause and resume are the operator's (admin key of the default tenant).
                    await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause default" })).ToHaveCountAsync(key == AdminKey ? 1 : 0);
                }
            }
        }
    }

    [Test]
    public async Task Should_pause_and_resume_a_queue_from_the_queues_page()
    {
        var page = await OpenConsoleAsync(AdminKey, "#/queues");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause default" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Queue default is paused.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume default" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Queue default is active.");
    }

    private static string NewJobId() => Guid.NewGuid().ToString("N")[..12];

    private async Task SubmitAsync(string from, string jobId, string cmd, string dataJson)
    {
        var reply = await SysCmdHttp.PostAsync(Deployment.Client, SysCmdHttp.Command(from, jobId, cmd, dataJson), "?wait=5s");
        Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
    }

    /// <summary>Without MongoDB the history endpoints are not mapped: the browser logs their 404, which the page handles.</summary>
    private async Task ExpectMissingEndpointAsync(string path)
    {
        using var reply = await Deployment.Client.GetAsync(new Uri(path, UriKind.Relative));
        if ((int)reply.StatusCode == 404)
        {
            ExpectConsoleError("404");
        }
    }

    /// <summary>A job that waits an hour before it may start (a delayed submit), so only an operator's action moves it.</summary>
    private async Task SubmitDelayedAsync(string from, string jobId, string cmd, string dataJson)
    {
        var reply = await SysCmdHttp.PostAsync(Deployment.Client, SysCmdHttp.Delayed(from, jobId, cmd, dataJson, "1h"));
        Assert.That(reply.State, Is.EqualTo(1), reply.Text);
    }

    [GeneratedRegex("^Jobs per second")]
    private static partial Regex JobsPerSecond();

    [GeneratedRegex(@"Submitted: [0-9.]*[1-9][0-9.]*/s this minute")]
    private static partial Regex SubmittedThisMinute();
}
