namespace ExeSys.Core.Configuration;

/// <summary>
/// The size limits that Redis's Lua scripts put on ExeSys, and the bounds of the settings derived from them. Redis runs
/// Lua 5.1, whose <c>unpack()</c> pushes a list's values onto Lua's C stack, which holds at most LUAI_MAXCSTACK
/// (8,000) values: <c>redis.call('ZADD', key, unpack(items))</c> with more fails in Redis with "too many results to
/// unpack", after whatever the script wrote before it. So no script unpacks more than <see cref="ValuesPerCall"/>
/// values at once (they chunk at that size, as UNPACK_CHUNK in the Lua), no coalesced call carries more, and a setting
/// that makes one script take a list of jobs is bounded by <see cref="JobsPerCall"/>.
/// </summary>
public static class ScriptLimits
{
    /// <summary>
    /// The most values one <c>unpack()</c> takes in Redis: LUAI_MAXCSTACK less the table itself. Measured on Redis 7.0:
    /// 7,999 values pass, 8,000 fail.
    /// </summary>
    public const int UnpackMax = 7999;

    /// <summary>
    /// The most values a script spreads into one command, and the most one coalesced enqueue call carries: about half of
    /// <see cref="UnpackMax"/>, so a command's own leading arguments (key, flags) fit beside them with room to spare,
    /// and one call stays a few milliseconds of Redis time.
    /// </summary>
    public const int ValuesPerCall = 4000;

    /// <summary>
    /// The most jobs one script call takes when it spreads two values per job (score and member in the ready queue's
    /// ZADD, lease deadline and member in a lease renewal, member and score in a due retry's move): <see cref="ValuesPerCall"/> / 2.
    /// Bounds <c>ExeSys:Worker:Concurrency</c> (a worker renews all its leases in one call) and
    /// <c>ExeSys:Controller:RecoveryBatch</c> (one call lists, requeues or promotes that many jobs).
    /// </summary>
    public const int JobsPerCall = ValuesPerCall / 2;

    /// <summary>
    /// The most nodes of one graph. A run's submit writes every node in one script (its status hash, and 3-4 fields
    /// each in the run's workflow hash, chunked), and its last finish expires them all, so the size of a run is the
    /// length of those scripts, in which Redis serves nothing else: at this size a submit took 0.25 s (a chain) to 0.36 s
    /// (all start nodes) of Redis time on the 2-core development box under heavy load (README, "Limits").
    /// </summary>
    public const int MaxWorkflowNodes = 10_000;

    /// <summary>
    /// The most commands one <c>POST /sys_cmd/batch</c> may be configured to hold. Its jobs are written by one small
    /// script each and enqueued in calls of <see cref="JobsPerCall"/> jobs, so the bound is not unpack's any more; it
    /// is five such calls, the size of the largest graph, and the size the tests run at (Protocol/Submitting_at_the_size_limits).
    /// </summary>
    public const int MaxBatchCommands = 5 * JobsPerCall;
}
