using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using ExeSys.Core.Observability.Tracing;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ExeSys.Tests.Observability;

/// <summary>
/// One trace: the API and a worker (its real host, in the test process) under an OpenTelemetry TracerProvider with the
/// in-memory exporter. A submit's trace (its <c>traceparent</c> header) is the trace of the worker's span for the
/// function, whose parent is the submit's request span, and of each node of a graph run.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Following_one_trace_from_submit_to_function
{
    private const string RedisSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";
    private static readonly string[] NodeNames = ["a", "b"];
    private readonly SpanList _spans = [];
    private TracerProvider _tracing = null!;
    private ApiEnvironment _env = null!;

    private HttpClient Client => _env.Client;

    [OneTimeSetUp]
    public async Task Start_the_api_and_a_worker_under_a_tracer()
    {
        _tracing = Sdk.CreateTracerProviderBuilder().AddSource(JobTracing.Sources).AddSource("Microsoft.AspNetCore", RedisSource).AddInMemoryExporter(_spans).Build()!;
        _env = await ApiEnvironment.StartAsync(TestSettings.For(TestRedis.NewPrefix("trace")), withWorker: true);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _env.DisposeAsync();
        _tracing.Dispose();
    }

    [Test]
    public async Task Should_run_the_function_in_a_span_of_the_submits_trace_whose_parent_is_the_submit()
    {
        var trace = ActivityTraceId.CreateRandom();
        var reply = await SysCmdHttp.PostAsync(Client, SysCmdHttp.Command("tracer", "job-1", "echo", "\"hi\""), "?wait=10s",
            r => r.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01"));
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);

        var run = await Eventually.WaitForAsync(() => Task.FromResult(_spans.Snapshot().Where(s => s.Source.Name == JobTracing.WorkerSource && (string?)s.GetTagItem("exesys.job.id") == "job-1").ToList()),
            s => s.Count == 1, TimeSpan.FromSeconds(10), "the worker's span of job-1");
        var submit = _spans.Snapshot().Where(s => s.Source.Name == "Microsoft.AspNetCore" && s.TraceId == trace).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run[0].TraceId, Is.EqualTo(trace), "the submit's trace");
            Assert.That(submit, Has.Count.EqualTo(1), "the submit's request span");
            Assert.That(run[0].ParentSpanId, Is.EqualTo(submit.FirstOrDefault()?.SpanId), "the submit's request span is the parent");
            Assert.That(run[0].Links.Select(l => l.Context.TraceId), Is.EqualTo(new[] { trace }), "linked to the submit's context, as a messaging 'process' span");
            Assert.That((run[0].Kind, run[0].DisplayName, run[0].GetTagItem("exesys.outcome"), run[0].GetTagItem("exesys.attempt")), Is.EqualTo((ActivityKind.Consumer, "process echo", "ok", 1)));
        }
    }

    [Test]
    public async Task Should_run_every_node_of_a_graph_in_the_trace_of_the_runs_submit()
    {
        var trace = ActivityTraceId.CreateRandom();
        var reply = await SysCmdHttp.PostAsync(Client, """
            {"from":"tracer","job_id":"graph-1","nodes":{"a":{"cmd":"echo","data":1,"next":["b"]},"b":{"cmd":"echo","next":["end_job"]}}}
            """, configure: r =>
        {
            r.RequestUri = new Uri("/workflows", UriKind.Relative);
            r.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        });
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Accepted), reply.Text);

        var nodes = await Eventually.WaitForAsync(() => Task.FromResult(_spans.Snapshot().Where(s => s.Source.Name == JobTracing.WorkerSource && (string?)s.GetTagItem("exesys.job.id") == "graph-1").ToList()),
            s => s.Count == 2, TimeSpan.FromSeconds(10), "the worker's spans of both nodes");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(nodes.Select(n => n.GetTagItem("exesys.job.from")), Is.EquivalentTo(NodeNames));
            Assert.That(nodes.Select(n => n.TraceId), Is.All.EqualTo(trace), "every node in the run's submit trace");
            Assert.That(nodes.Select(n => n.GetTagItem("exesys.graph_node")), Is.All.EqualTo(true));
        }
    }

    [Test]
    public async Task Should_trace_redis_calls_as_child_spans_and_export_only_when_an_endpoint_is_configured()
    {
        // A collector that is not there: the exporter drops what it cannot send, and jobs run as before. The test's own
        // provider sees the same spans, the Redis instrumentation's too.
        var settings = TestSettings.For(TestRedis.NewPrefix("otlp"));
        await using var env = await ApiEnvironment.StartAsync(settings, withWorker: false);
        await using var exporting = await InProcessWorker.StartAsync(
            settings.With("ExeSys:Tracing:OtlpEndpoint", $"http://127.0.0.1:{FreePort.Next()}").With("ExeSys:Tracing:Redis", "true"), "otlp-worker");
        await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(env.Client, "/functions"), r => r.Text.Contains("otlp-worker", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the exporting worker to advertise");
        var reply = await SysCmdHttp.PostAsync(env.Client, SysCmdHttp.Command("tracer", "otlp-1", "echo", "1"), "?wait=10s");
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), "the exporting worker ran the job: " + reply.Text);

        // The span ends once the result is recorded, a moment after the reply; its Redis calls (recording the result)
        // become its child spans at the instrumentation's next flush.
        var run = await Eventually.WaitForAsync(() => Task.FromResult(_spans.Snapshot().FirstOrDefault(s => (string?)s.GetTagItem("exesys.job.id") == "otlp-1")),
            s => s is not null, TimeSpan.FromSeconds(10), "the exporting worker's span");
        await Eventually.WaitForAsync(() => _spans.Snapshot().Any(s => s.Source.Name == RedisSource && s.ParentSpanId == run!.SpanId), TimeSpan.FromSeconds(10), "a Redis span under the job's span");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exporting.Services.GetService<TracerProvider>(), Is.Not.Null, "an endpoint: a provider");
            Assert.That(_env.Worker!.Services.GetService<TracerProvider>(), Is.Null, "no endpoint: no provider, nothing listens");
        }
    }

    /// <summary>The exporter adds from the worker's threads while the test reads: every access under one lock.</summary>
    private sealed class SpanList : Collection<Activity>
    {
        public Activity[] Snapshot()
        {
            lock (Items)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (Items)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
