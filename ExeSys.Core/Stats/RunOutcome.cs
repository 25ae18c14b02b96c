namespace ExeSys.Core.Stats;

/// <summary>How one attempt ended, as <c>GET /stats</c> counts it (the worker knows the attempt, not whether a retry follows).</summary>
public static class RunOutcome
{
    /// <summary>The function returned a result.</summary>
    public const string Ok = "ok";

    /// <summary>The function threw, timed out or was cancelled: the job failed, or waits for a retry.</summary>
    public const string Failed = "failed";

    /// <summary>The function deferred itself (wait_event, wait_countdown, a DeferException).</summary>
    public const string Deferred = "deferred";

    /// <summary>The worker lost the job's lease while it ran: nothing was recorded, the controller gives it to another worker.</summary>
    public const string Lost = "lost";

    /// <summary>The worker's shutdown cut it off: it was given back.</summary>
    public const string CutOff = "cut_off";

    public static readonly string[] All = [Ok, Failed, Deferred, Lost, CutOff];
}
