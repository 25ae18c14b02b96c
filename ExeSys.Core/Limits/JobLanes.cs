using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Limits;

/// <summary>
/// Which lane a job waits in: a job whose function or queue has a limit, or which carries a concurrency key, waits in
/// its lane <c>&lt;function&gt;|&lt;key&gt;|&lt;N&gt;</c> and starts only through a claim, which checks its limits
/// atomically (Redis/Scripts/_lanes.lua); any other job has none (null) and costs what it always did.
/// </summary>
public sealed class JobLanes(IOptions<LimitsOptions> options, QueueRouting routing)
{
    private readonly LimitsOptions _options = options.Value;

    /// <summary>The longest concurrency key.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>The largest concurrency_limit.</summary>
    public const int MaxKeyLimit = 10_000;

    /// <summary>The lane of a job of function <paramref name="cmd"/> in <paramref name="queue"/> with an optional concurrency key, or null.</summary>
    public string? LaneOf(string cmd, string queue, string? concurrencyKey, int concurrencyLimit)
    {
        if (concurrencyKey is not null)
        {
            return $"{cmd}|{concurrencyKey}|{concurrencyLimit}";
        }

        return _options.Queues.ContainsKey(queue) || _options.Functions.ContainsKey(cmd) ? $"{cmd}||0" : null;
    }

    /// <summary>
    /// The lane of a command. A step of the original protocol carries no concurrency key (the API refuses one), and
    /// gets the lane of its function's and queue's limits, as a graph node does (<see cref="Queued"/>).
    /// </summary>
    public string? LaneOf(JobCommand command) =>
        LaneOf(command.Cmd, routing.QueueOf(command.Cmd, command.Queue), command.IsWorkflowStep ? null : command.ConcurrencyKey, command.ConcurrencyLimit);

    /// <summary>
    /// A job the scripts released onto a queue (a promoted graph node or step, a graph's start nodes): its queue, and
    /// its function, or for a function or queue with limits its limited lane, so it starts under those limits as a
    /// submitted job does.
    /// </summary>
    public QueuedJob Queued(JobRef job, JobPriority priority, string cmd, string? queue)
    {
        var q = routing.QueueOf(cmd, queue);
        return new QueuedJob(job, priority, QueueFunction(cmd, LaneOf(cmd, q, null, 0)), q);
    }

    /// <summary>
    /// The function a job taken back from <paramref name="queue"/> waits under: its recorded lane <paramref name="lane"/>
    /// (<c>ln</c>, set at submit), else the lane its function's and queue's limits give it (a node or a step).
    /// </summary>
    public string FunctionOf(string cmd, string queue, string? lane) =>
        string.IsNullOrEmpty(lane) ? QueueFunction(cmd, LaneOf(cmd, queue, null, 0)) : "~" + lane;

    /// <summary>
    /// The function a job waits under in its queue: its <paramref name="cmd"/>, or for a job with a limited lane
    /// <c>~&lt;lane&gt;</c>, which the scripts send into that lane (Scripts/_lanes.lua) and no idle worker takes.
    /// </summary>
    public static string QueueFunction(string cmd, string? lane) => string.IsNullOrEmpty(lane) ? cmd : "~" + lane;

    /// <summary>A job's queue member: <c>from:job_id</c>, or for a job in a lane <c>~&lt;lane&gt;~from:job_id</c>.</summary>
    public static string Member(JobRef job, string? lane) => string.IsNullOrEmpty(lane) ? job.Member : $"~{lane}~{job.Member}";

    /// <summary>Splits a queue member into the job and its lane (null for a plain member).</summary>
    public static (JobRef Job, string? Lane) Parse(string member)
    {
        if (member.Length > 0 && member[0] == '~')
        {
            var stop = member.IndexOf('~', 1);
            return (JobRef.Parse(member[(stop + 1)..]), member[1..stop]);
        }

        return (JobRef.Parse(member), null);
    }
}
