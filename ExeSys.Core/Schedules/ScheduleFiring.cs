using System.Text.Json;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Schedules;

/// <summary>
/// One controller pass over the schedules: take the due ones in batches, plan each firing here (fire times from
/// <see cref="ScheduleTimes"/>, misfires by the schedule's policy), fire them (<see cref="IScheduleStore.FireAsync"/>,
/// the one step that decides a firing, guarded by the fire time), then decide each firing's overlap, submit its job
/// under the firing's deterministic job_id, and settle it. Any number of controllers may run this at once: a schedule
/// taken by one is held by it, a fire time fires once, and a job_id that exists is never created again.
/// </summary>
public sealed class ScheduleFiring(
    IScheduleStore store,
    IJobClient jobs,
    IWorkflowClient workflows,
    IWorkflowDefinitions definitions,
    Redis.RedisClock clock,
    IOptions<ScheduleOptions> options,
    IOptions<JobOptions> jobOptions,
    ILogger<ScheduleFiring> logger)
{
    private readonly ScheduleOptions _options = options.Value;

    /// <summary>The most fire times one schedule fires in one plan (misfires caught up, or a backlog in the window).</summary>
    internal const int MaxFiresPerPlan = 1000;

    /// <summary>
    /// One pass: lapsed pending firings (triggered, buffered, or left by a controller that died), then the due
    /// schedules, a batch per call while batches come back full. Returns the firings handled.
    /// </summary>
    public async Task<int> RunOnceAsync(TimeSpan recheck)
    {
        var total = 0;
        IReadOnlyList<Firing> pending;
        do
        {
            pending = await store.TakePendingAsync(_options.Batch);
            await StartAsync(pending, recheck);
            total += pending.Count;
        }
        while (pending.Count == _options.Batch);

        IReadOnlyList<DueSchedule> due;
        do
        {
            due = await store.TakeDueAsync(_options.Batch);
            var now = clock.NowMs;
            var planned = due.Select(d => Plan(d, now)).ToList();
            var firings = await store.FireAsync(planned);
            await StartAsync(firings, recheck);
            total += firings.Count;
        }
        while (due.Count == _options.Batch);

        return total;
    }

    private static PlannedFiring Plan(DueSchedule d, long now)
    {
        var plan = ScheduleTimes.PlanAt(d.Definition, d.FireMs, now, MaxFiresPerPlan);
        return new PlannedFiring(d, plan.Fires, plan.Next, plan.Next is { } n ? ScheduleTimes.Due(d.Definition, n) : null);
    }

    /// <summary>Decides each firing's overlap, submits the jobs (single commands in one batch), and settles them all.</summary>
    private async Task StartAsync(IReadOnlyList<Firing> firings, TimeSpan recheck)
    {
        if (firings.Count == 0)
        {
            return;
        }

        var settled = new List<SettledFiring>(firings.Count);
        var commands = new List<(Firing Firing, JobCommand Command)>();
        var runs = new List<Firing>();
        foreach (var group in firings.GroupBy(f => f.Name, StringComparer.Ordinal))
        {
            // Several firings of one schedule (a catch-up) follow each other: each sees the one before as its previous run.
            var last = group.First().LastJobId;
            var buffered = group.First().BufferedMs;
            var startedHere = false;
            foreach (var f in group.OrderBy(f => f.FireMs))
            {
                var jobId = ScheduleTimes.JobId(f.Name, f.FireMs);
                var outcome = "started";
                if (f.Definition.Overlap != OverlapPolicy.AllowAll && last is not null && last != jobId &&
                    (startedHere || await RunningAsync(f.Definition, last)))
                {
                    outcome = f.Definition.Overlap switch
                    {
                        OverlapPolicy.BufferOne when buffered is null || buffered == f.FireMs => "buffered",
                        OverlapPolicy.CancelPrevious => await CancelAsync(f.Definition, last),
                        _ => "skipped",
                    };
                }

                if (outcome == "started")
                {
                    if (f.Definition.Command is { } c)
                    {
                        commands.Add((f, new JobCommand(new JobRef(c.From, jobId), c.To, c.Cmd, c.DataJson, Priority(c.Priority), Queue: c.Queue)));
                    }
                    else
                    {
                        runs.Add(f);
                    }

                    last = jobId;
                    startedHere = true;
                }
                else if (outcome == "buffered")
                {
                    buffered = f.FireMs;
                }

                if (outcome != "started")
                {
                    settled.Add(new SettledFiring(f.Name, f.FireMs, outcome, jobId));
                }
            }
        }

        if (commands.Count > 0)
        {
            var outcomes = await jobs.SubmitManyAsync([.. commands.Select(c => c.Command)], watch: false);
            for (var i = 0; i < commands.Count; i++)
            {
                var (f, command) = commands[i];
                settled.Add(new SettledFiring(f.Name, f.FireMs, outcomes[i].Status == SubmitStatus.Conflict ? "conflict" : "started", command.Job.JobId));
            }
        }

        foreach (var f in runs)
        {
            settled.Add(new SettledFiring(f.Name, f.FireMs, await StartRunAsync(f), ScheduleTimes.JobId(f.Name, f.FireMs)));
        }

        await store.SettleAsync(settled, recheck);
    }

    /// <summary>A stored priority ("high", "normal", "low"; checked when the schedule was saved).</summary>
    private static JobPriority Priority(string name) => JobPriorityNames.TryParse(name, out var p) ? p : JobPriority.Normal;

    /// <summary>Whether the previous run has not ended yet (state 0, 1 or 2).</summary>
    private async Task<bool> RunningAsync(ScheduleDefinition s, string jobId) =>
        await jobs.GetAsync(new JobRef(s.From, jobId), watch: false) is { State: JobState.Start or JobState.Standby or JobState.Processing };

    private async Task<string> CancelAsync(ScheduleDefinition s, string previous)
    {
        await workflows.ControlAsync(new JobRef(s.From, previous), WorkflowAction.Cancel);
        return "started";
    }

    /// <summary>Starts a firing's workflow run from its named definition, as POST /workflows with "workflow" does.</summary>
    private async Task<string> StartRunAsync(Firing f)
    {
        var w = f.Definition.Workflow!;
        var run = new JobRef(w.From, ScheduleTimes.JobId(f.Name, f.FireMs));
        if (await definitions.GetAsync(w.Name) is not { } stored)
        {
            logger.LogWarning("Schedule {Schedule} could not start {Run}: no workflow definition is named '{Workflow}'.", f.Name, run, w.Name);
            return "no_definition";
        }

        using var doc = JsonDocument.Parse(stored);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        // Functions are not checked here: a node whose function no worker offers waits, as a submitted one does.
        var definition = WorkflowParser.Parse(doc.RootElement, _ => true, jobOptions.Value.MaxIdLength, [w.From], errors);
        if (definition is null)
        {
            logger.LogWarning("Schedule {Schedule} could not start {Run}: {Errors}", f.Name, run, string.Join(" ", errors.Values.SelectMany(e => e)));
            return "invalid_definition";
        }

        var request = new WorkflowRunRequest(run, definition, $"{{\"graph\":{WorkflowParser.Compact(doc.RootElement)},\"data\":{w.DataJson}}}", w.DataJson, Priority(w.Priority));
        return (await workflows.SubmitAsync(request, watch: false)).Status switch
        {
            WorkflowSubmitStatus.Conflict or WorkflowSubmitStatus.NameTaken => "conflict",
            _ => "started",
        };
    }
}
