using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Observability;

/// <summary>
/// The real API, worker and controller processes, each scraped on its own /metrics: after jobs of known outcomes (ok,
/// a workflow node retried then failed, a failed job, one whose lease is lost, a chain of two nodes), every process's
/// counters are exactly those jobs, and promtool accepts every page.
/// </summary>
[TestFixture]
public sealed class Scraping_the_metrics_of_every_process
{
    private const string From = "metrics";

    [Test]
    public async Task Should_count_every_outcome_exactly_in_each_process_and_pass_promtool()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix(nameof(Scraping_the_metrics_of_every_process)))
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02")
            .With("ExeSys:Jobs:MaxAttempts", "2")
            .With("ExeSys:Jobs:RetryBackoff", "00:00:00.100")
            .With("ExeSys:Metrics:RefreshInterval", "00:00:01");
        var (workerPort, controllerPort) = (FreePort.Next(), FreePort.Next());
        await using var deployment = await ExeSysDeployment.Build(settings).WithApiProcess().StartAsync();
        var worker = deployment.StartWorker("metrics-worker", s => s.With("ExeSys:Metrics:Port", workerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var controller = deployment.Processes.Start(ExeSysRole.Controller, "metrics-controller", settings.With("ExeSys:Metrics:Port", controllerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await deployment.WaitForWorkerAsync(worker);
        await deployment.WaitForControllerAsync(controller);
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // The lost lease first: once it runs, its lease is made to expire, as a frozen worker's would.
        await deployment.PostAsync("/sys_cmd", SysCmdHttp.Command(From, "lost", "sleep", "3000"));
        await deployment.WaitForJobAsync(From, "lost", r => r.State == 2, ExeSysDeployment.ProcessStartTimeout, "the sleep to start");
        var (db, inflight, lease) = (deployment.Redis.GetDatabase(), deployment.Keys.Queue("default").Inflight, new JobRef(From, "lost").Member);
        Assert.That(await db.SortedSetScoreAsync(inflight, lease), Is.Not.Null, "the running job's lease");
        await db.SortedSetAddAsync(inflight, lease, 1, SortedSetWhen.Exists);

        for (var i = 0; i < 3; i++)
        {
            await deployment.PostAsync("/sys_cmd", SysCmdHttp.Command(From, $"ok-{i}", "echo", "1"));
        }

        // A node that times out twice: retried, then failed; and a chain of two nodes, whose second waits on the first.
        await deployment.PostAsync("/workflows", $$"""
            {"from":"{{From}}","job_id":"retried","nodes":{"slow":{"cmd":"sleep","data":5000,"timeout":"200ms","retry":{"max_attempts":2,"backoff":"100ms"},"next":["end_job"]} } }
            """);
        await deployment.PostAsync("/workflows", $$"""
            {"from":"{{From}}","job_id":"chain","nodes":{"a":{"cmd":"echo","next":["b"]},"b":{"cmd":"echo","next":["end_job"]} } }
            """);
        await deployment.PostAsync("/sys_cmd", SysCmdHttp.Command(From, "failed", "fail", "\"no\""));
        foreach (var id in new[] { "lost", "ok-0", "ok-1", "ok-2", "retried", "chain", "failed" })
        {
            await deployment.WaitForJobAsync(From, id, r => r.State is 3 or 4, TimeSpan.FromSeconds(60), $"job {id} to end");
        }

        (string Name, string[] Labels, double Expected)[] api =
        [
            ("exesys_jobs_submitted_total", ["function=echo", "queue=default"], 3),
            ("exesys_jobs_submitted_total", ["function=sleep"], 1),
            ("exesys_jobs_submitted_total", ["function=fail"], 1),
            ("exesys_jobs_submitted_total", [], 5),
            ("exesys_workflows_submitted_total", [], 2),
        ];
        (string Name, string[] Labels, double Expected)[] workerCounts =
        [
            ("exesys_jobs_started_total", ["function=echo"], 5),
            ("exesys_jobs_started_total", ["function=fail"], 1),
            ("exesys_jobs_started_total", ["function=sleep"], 4),
            ("exesys_jobs_finished_total", ["outcome=ok"], 6),
            ("exesys_jobs_finished_total", ["function=echo", "outcome=ok"], 5),
            ("exesys_jobs_finished_total", ["function=sleep", "outcome=ok"], 1),
            ("exesys_jobs_finished_total", ["function=sleep", "outcome=retried"], 1),
            ("exesys_jobs_finished_total", ["outcome=retried"], 1),
            ("exesys_jobs_finished_total", ["function=sleep", "outcome=failed"], 1),
            ("exesys_jobs_finished_total", ["function=fail", "outcome=failed"], 1),
            ("exesys_jobs_finished_total", ["outcome=failed"], 2),
            ("exesys_jobs_finished_total", ["function=sleep", "outcome=lost"], 1),
            ("exesys_jobs_finished_total", ["outcome=lost"], 1),
            ("exesys_jobs_finished_total", [], 10),
            ("messaging_process_duration_seconds_count", [], 10),
            ("exesys_job_queue_wait_seconds_count", [], 10),
            ("exesys_job_end_to_end_seconds_count", [], 8),
            ("exesys_workflow_step_overhead_seconds_count", ["function=echo"], 1),
            ("exesys_workflow_duration_seconds_count", ["outcome=ok"], 1),
            ("exesys_workflow_duration_seconds_count", ["outcome=failed"], 1),
        ];
        (string Name, string[] Labels, double Expected)[] controllerCounts =
        [
            ("exesys_jobs_recovered_total", ["queue=default"], 1),
            ("exesys_queue_workers", ["queue=default"], 1),
            ("exesys_queue_depth", ["queue=default"], 0),
        ];
        var pages = new Dictionary<string, PrometheusText>(StringComparer.Ordinal);
        foreach (var (process, url, expected) in new[]
        {
            ("api", new Uri(deployment.BaseAddress, "/metrics"), api),
            ("worker", new Uri($"http://localhost:{workerPort}/metrics"), workerCounts),
            ("controller", new Uri($"http://localhost:{controllerPort}/metrics"), controllerCounts),
        })
        {
            // Counted as the outcomes are recorded; the wait ends when they all are, and fails if any is over.
            pages[process] = (await Eventually.WaitForAsync(
                async () => Scrape.Of(new PrometheusText(await scraper.GetStringAsync(url)), expected),
                scrape => scrape.Mismatches.Count == 0,
                TimeSpan.FromSeconds(20),
                $"the {process}'s counters to reach their counts")).Page;
        }

        var verdicts = new Dictionary<string, (int Code, string Output)>(StringComparer.Ordinal);
        foreach (var (process, page) in pages)
        {
            verdicts[process] = await PrometheusText.PromtoolAsync(page.Text, "check", "metrics");
        }

        using (Assert.EnterMultipleScope())
        {
            foreach (var (process, verdict) in verdicts)
            {
                Assert.That(verdict, Is.EqualTo((0, "")), $"promtool check metrics on the {process}'s page");
            }

            Assert.That(pages["api"].Text, Does.Contain("http_server_request_duration_seconds_count"), "ASP.NET Core's own meter");
            Assert.That(pages["worker"].Text, Does.Contain("dotnet_gc_collections_total"), "the runtime's own meter");
            Assert.That(pages["worker"].Sum("exesys_worker_slots_free"), Is.EqualTo(64), "all slots free again");
            Assert.That(pages.Values.Select(p => p.Text), Has.None.Contains("ok-0"), "job ids are never labels");
        }
    }

    [Test]
    public async Task Should_serve_no_metrics_when_they_are_switched_off()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix(nameof(Scraping_the_metrics_of_every_process)));
        await using var on = new ExeSysApiFactory(settings);
        await using var off = new ExeSysApiFactory(settings.With("ExeSys:Metrics:Enabled", "false"));
        using var onClient = on.CreateClient();
        using var offClient = off.CreateClient();
        var (served, refused) = (await onClient.GetAsync(new Uri("/metrics", UriKind.Relative)), await offClient.GetAsync(new Uri("/metrics", UriKind.Relative)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((served.StatusCode, served.Content.Headers.ContentType?.MediaType), Is.EqualTo((System.Net.HttpStatusCode.OK, "text/plain")));
            Assert.That(refused.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound));
        }
    }

    [Test]
    public async Task Should_export_the_per_request_aspnetcore_meters_only_when_asked()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix(nameof(Scraping_the_metrics_of_every_process)));
        await using var standard = new ExeSysApiFactory(settings);
        await using var extra = new ExeSysApiFactory(settings.With("ExeSys:Metrics:ExtraMeters:0", "Microsoft.AspNetCore.Routing"));
        var pages = new List<string>();
        foreach (var factory in new[] { standard, extra })
        {
            using var client = factory.CreateClient();
            (await client.GetAsync(new Uri("/jobs/nobody/nothing", UriKind.Relative))).Dispose();
            pages.Add(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages, Has.All.Contains("http_server_request_duration_seconds_count"), "ASP.NET Core's request histogram, always");
            Assert.That(pages[0], Does.Not.Contain("aspnetcore_routing_match_attempts"), "routing's meter records on every request and is left out by default");
            Assert.That(pages[1], Does.Contain("aspnetcore_routing_match_attempts_total"), "ExtraMeters adds it back");
        }
    }

    [Test]
    public async Task Should_refuse_to_start_a_worker_whose_metrics_port_is_taken_with_exit_code_2()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var settings = TestSettings.For(TestRedis.NewPrefix(nameof(Scraping_the_metrics_of_every_process)))
            .With("ExeSys:Metrics:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var worker = ExeSysProcess.Start(ExeSysRole.Worker, "worker-port-taken", settings.ToEnvironment());

        var code = await worker.WaitForExitAsync(ExeSysDeployment.ProcessStartTimeout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2), worker.Output);
            Assert.That(worker.Output, Does.Contain("ExeSys cannot start: its metrics listener (ExeSys:Metrics:Host and ExeSys:Metrics:Port) could not start"));
        }
    }

    /// <summary>A scraped page and the counts it does not have yet (shown when the wait times out).</summary>
    private sealed record Scrape(PrometheusText Page, IReadOnlyList<string> Mismatches)
    {
        public static Scrape Of(PrometheusText page, IEnumerable<(string Name, string[] Labels, double Expected)> expected) =>
            new(page, [.. expected.Select(e => (e, Seen: page.Sum(e.Name, e.Labels))).Where(x => x.Seen != x.e.Expected)
                .Select(x => $"{x.e.Name}{{{string.Join(",", x.e.Labels)}}} = {x.Seen}, expected {x.e.Expected}")]);

        public override string ToString() => string.Join("; ", Mismatches);
    }
}
