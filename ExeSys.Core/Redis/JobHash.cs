using ExeSys.Core.Jobs;

namespace ExeSys.Core.Redis;

/// <summary>
/// The one C# definition of a job's status hash (<see cref="RedisKeys.Status"/>): its field names and state codes.
/// The Lua scripts use the same names and no others; <c>SNAPSHOT_FIELDS</c> in Scripts/_common.lua (which
/// <c>read_snapshot</c> reads and <c>snapshot_of</c> replies) lists <see cref="SnapshotFields"/> in this order. A test
/// (Keeping_the_job_hash_in_one_place) fails when the two drift apart.
/// </summary>
internal static class JobHash
{
    /// <summary>State code, <see cref="JobState"/> as text ("0".."4").</summary>
    public const string State = "st";
    public const string To = "to";
    public const string Cmd = "cmd";
    public const string Data = "data";
    public const string Priority = "pri";
    public const string Created = "ct";
    public const string Updated = "ut";
    public const string Started = "sa";
    public const string Finished = "ft";
    public const string Attempts = "at";
    public const string MaxAttempts = "ma";
    public const string Worker = "wk";
    public const string Error = "err";

    /// <summary>Every failed attempt's error, as a JSON array, oldest first.</summary>
    public const string Errors = "errs";

    /// <summary>When the next attempt may start (Unix ms), while a failed or deferred job waits in state 1.</summary>
    public const string RetryAt = "ra";

    /// <summary>A runner's latest intermediate result.</summary>
    public const string Progress = "prog";

    /// <summary>A finished job's data_available text, <c>{"to":…,"result":&lt;EOJ&gt;}</c> (<see cref="RedisKeys.ResultField"/>).</summary>
    public const string Result = RedisKeys.ResultField;

    /// <summary>1 while a client long-polls the job: its end is published on the done channel.</summary>
    public const string Watched = "w";

    /// <summary>'n' for a graph node, 'w' for a graph run; absent for a single job or a step.</summary>
    public const string Kind = "kind";

    /// <summary>A graph node skipped because no edge into it was taken.</summary>
    public const string Skipped = "skipped";

    /// <summary>A graph node's outgoing edges (JSON).</summary>
    public const string Next = "next";

    /// <summary>A step of the original protocol: the step it follows, whose result it gets as input.</summary>
    public const string Predecessor = "pred";

    /// <summary>A graph node's attempt timeout in ms (0 = none).</summary>
    public const string TimeoutMs = "tmo";

    /// <summary>A graph node's retry backoff in ms (0 = the ExeSys:Jobs:RetryBackoff default).</summary>
    public const string BackoffMs = "bo";

    /// <summary>Until when a deferred job asked to wait (Unix ms), which its next attempt is told.</summary>
    public const string DeferredUntil = "du";

    /// <summary>A graph node that became ready while its run was paused: resuming the run enqueues it.</summary>
    public const string Held = "held";

    /// <summary>The name of the event a wait_event job waits for; a wait_countdown job's is <c>latch:&lt;name&gt;</c> (RedisLatchStore).</summary>
    public const string EventAwaited = "evw";

    /// <summary>The event delivered to a wait_event job (JSON), or the zero to a wait_countdown job; the first one delivered wins.</summary>
    public const string EventDelivered = "evd";

    /// <summary>When a wait_event job first looked for its event (Redis ms): its timeout counts from here.</summary>
    public const string EventWaitStarted = "evs";

    /// <summary>A runner asked to stop.</summary>
    public const string Stop = "stop";

    /// <summary>The job's workflow was cancelled while it ran.</summary>
    public const string Cancel = "cancel";

    /// <summary>A limited job's lane (<c>&lt;function&gt;|&lt;concurrency key&gt;|&lt;N&gt;</c>, Limits/JobLanes.cs): a job taken back returns to it.</summary>
    public const string Lane = "ln";

    /// <summary>The queue the submit named (only when it named one): the job's queue; absent = its function's routed queue.</summary>
    public const string Queue = "q";

    /// <summary>
    /// The submit's W3C trace context (<c>traceparent</c>), which the worker parents the run's span with
    /// (Observability/Tracing/JobTracing.cs); absent when the submit had none. A graph node's is its run's, kept in the
    /// run's workflow hash under the same name.
    /// </summary>
    public const string TraceParent = "tp";

    /// <summary>
    /// The fields of a <see cref="JobSnapshot"/>, in the order the scripts reply them (<c>snapshot_of</c> in
    /// Scripts/_common.lua), with the result extracted from <see cref="Result"/>, which the reply holds only in state 3.
    /// <see cref="RedisReplies.ReadSnapshot"/> reads this order.
    /// </summary>
    public static readonly string[] SnapshotFields =
        [State, To, Cmd, Data, Priority, Created, Updated, Attempts, Error, Worker, Result, RetryAt, Errors, Progress];

    /// <summary>The state code of <paramref name="state"/> as the hash stores it.</summary>
    public static string Code(JobState state) => state switch
    {
        JobState.Start => StateCodes.Start,
        JobState.Standby => StateCodes.Standby,
        JobState.Processing => StateCodes.Processing,
        JobState.DataAvailable => StateCodes.DataAvailable,
        _ => StateCodes.Error,
    };

    /// <summary>The state codes as the hash and the scripts' replies hold them.</summary>
    public static class StateCodes
    {
        public const string Start = "0";
        public const string Standby = "1";
        public const string Processing = "2";
        public const string DataAvailable = "3";
        public const string Error = "4";

        public static bool IsEnded(string? code) => code is DataAvailable or Error;
    }
}
