using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Observability.Metrics;

/// <summary>The name of this process's meter: ExeSys.Api, ExeSys.Worker or ExeSys.Controller (each process sets its own).</summary>
public sealed record MetricsProcess(string MeterName);

/// <summary>How an attempt ended on a worker: the <c>outcome</c> label.</summary>
public static class JobOutcomes
{
    /// <summary>The function returned; its result is recorded.</summary>
    public const string Ok = "ok";

    /// <summary>The job ended in error (no attempt left, an expected failure, or cancelled).</summary>
    public const string Failed = "failed";

    /// <summary>The attempt failed and another one is scheduled.</summary>
    public const string Retried = "retried";

    /// <summary>The function asked to run again later (not an attempt).</summary>
    public const string Deferred = "deferred";

    /// <summary>The worker lost the job's lease: nothing was recorded, the controller gives the job to another attempt.</summary>
    public const string Lost = "lost";

    /// <summary>Given back unrun: shutdown cut it off, or the function was withdrawn between the claim and the run.</summary>
    public const string Released = "released";
}

/// <summary>
/// ExeSys's own instruments, on one meter named for the process (<see cref="MetricsProcess"/>). Names follow the
/// OpenTelemetry messaging conventions where one fits (<c>messaging.process.duration</c>), else <c>exesys.*</c>; units
/// are UCUM (<c>s</c>, <c>{job}</c>). Labels are only <c>function</c>, <c>queue</c> and <c>outcome</c>: each process
/// admits at most <see cref="MetricsOptions.MaxLabelValues"/> distinct functions and queues, later ones are counted as
/// <c>_other</c>, and job ids are never labels. A measurement is a few field reads and no allocation (TagList is a
/// struct), and costs nothing more when no exporter listens.
/// </summary>
public sealed class ExeSysMetrics
{
    /// <summary>Seconds from 1 ms to an hour: queue waits and runs of every size.</summary>
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private readonly Counter<long> _submitted;
    private readonly Counter<long> _workflowsSubmitted;
    private readonly Counter<long> _started;
    private readonly Counter<long> _ended;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _moduleLoadFailures;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _stepOverhead;
    private readonly Histogram<double> _runTime;
    private readonly Histogram<double> _endToEnd;
    private readonly Histogram<double> _workflowDuration;

    public ExeSysMetrics(IMeterFactory meters, MetricsProcess process, IOptions<MetricsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(options);
        Meter = meters.Create(process.MeterName);
        Functions = new LabelCap(options.Value.MaxLabelValues);
        Queues = new LabelCap(options.Value.MaxLabelValues);
        _submitted = Meter.CreateCounter<long>("exesys.jobs.submitted", "{job}", "Jobs written by a submit (sys_cmd, batch, schedule firing), by function and queue; repeats of an existing job are not counted.");
        _workflowsSubmitted = Meter.CreateCounter<long>("exesys.workflows.submitted", "{run}", "Workflow runs created (POST /workflows, named definitions, schedule firings).");
        _started = Meter.CreateCounter<long>("exesys.jobs.started", "{job}", "Attempts a worker started (a claim or a handoff), by function and queue.");
        _ended = Meter.CreateCounter<long>("exesys.jobs.finished", "{job}", "Attempts that ended on a worker, by function, queue and outcome (ok, failed, retried, deferred, lost, released).");
        _recovered = Meter.CreateCounter<long>("exesys.jobs.recovered", "{job}", "Running jobs the controller took back after their lease expired (a dead, frozen or cut-off worker): requeued, or failed when it was their last attempt; by queue.");
        _moduleLoadFailures = Meter.CreateCounter<long>("exesys.modules.load_failures", "{failure}", "Function modules a worker refused or failed to load.");
        _queueWait = Seconds("exesys.job.queue_wait", "From the moment a job could start (submit, promotion, retry or deferral due) to its start on a worker.");
        _stepOverhead = Seconds("exesys.workflow.step_overhead", "For a workflow node or step: from its predecessor's recorded end to its own start.");
        _runTime = Seconds("messaging.process.duration", "One attempt's run on a worker: from its start to its recorded outcome, by function, queue and outcome.");
        _endToEnd = Seconds("exesys.job.end_to_end", "From a job's submit to its final outcome (ok or failed), by function, queue and outcome.");
        _workflowDuration = Seconds("exesys.workflow.duration", "A workflow run, from its submit to the end of its last node, by outcome.");
    }

    /// <summary>The process's meter: process-specific gauges are created on it too.</summary>
    public Meter Meter { get; }

    /// <summary>The capped <c>function</c> label values.</summary>
    public LabelCap Functions { get; }

    /// <summary>The capped <c>queue</c> label values.</summary>
    public LabelCap Queues { get; }

    public void JobSubmitted(string function, string queue) => _submitted.Add(1, Labels(function, queue));

    public void WorkflowSubmitted() => _workflowsSubmitted.Add(1);

    /// <param name="queueWait">Seconds from ready to start.</param>
    /// <param name="stepOverhead">For a promoted workflow node or step, the same seconds (from its predecessor's end); else null.</param>
    public void JobStarted(string function, string queue, double queueWait, double? stepOverhead)
    {
        var labels = Labels(function, queue);
        _started.Add(1, labels);
        _queueWait.Record(queueWait, labels);
        if (stepOverhead is { } overhead)
        {
            _stepOverhead.Record(overhead, labels);
        }
    }

    /// <param name="endToEnd">Seconds from submit, when the outcome is final (ok or failed); else null.</param>
    public void JobFinished(string function, string queue, string outcome, double runTime, double? endToEnd)
    {
        var labels = Labels(function, queue);
        labels.Add("outcome", outcome);
        _ended.Add(1, labels);
        _runTime.Record(runTime, labels);
        if (endToEnd is { } total)
        {
            _endToEnd.Record(total, labels);
        }
    }

    public void WorkflowFinished(string outcome, double seconds) => _workflowDuration.Record(seconds, new TagList { { "outcome", outcome } });

    public void JobsRecovered(string queue, int count) => _recovered.Add(count, new TagList { { "queue", Queues.Of(queue) } });

    public void ModuleLoadFailed() => _moduleLoadFailures.Add(1);

    private TagList Labels(string function, string queue) => new() { { "function", Functions.Of(function) }, { "queue", Queues.Of(queue) } };

    private Histogram<double> Seconds(string name, string description) =>
        Meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
}

/// <summary>
/// Admits at most a fixed number of distinct values for one label; later values become <see cref="Other"/>, so a
/// client that invents function or queue names cannot grow the metrics without bound.
/// </summary>
public sealed class LabelCap(int max)
{
    public const string Other = "_other";

    private readonly ConcurrentDictionary<string, bool> _admitted = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Of(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "_none";
        }

        if (_admitted.ContainsKey(value))
        {
            return value;
        }

        lock (_gate)
        {
            if (_admitted.Count >= max)
            {
                return Other;
            }

            _admitted.TryAdd(value, true);
            return value;
        }
    }
}
