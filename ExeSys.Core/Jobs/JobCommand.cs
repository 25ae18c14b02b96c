namespace ExeSys.Core.Jobs;

/// <summary>A validated <c>/sys_cmd</c> command. <see cref="DataJson"/> is the compact JSON text of <c>data</c>.</summary>
/// <param name="IsWorkflowStep">Posted with <c>Operation: workflow</c>: it waits in standby until the step before it finishes.</param>
/// <param name="ConcurrencyKey">At most <paramref name="ConcurrencyLimit"/> jobs with this key run at once, across all workers (null: none).</param>
/// <param name="RunAtMs">A delayed job: when it may start (Unix ms on Redis's clock); it waits in standby until then. Null: now.</param>
/// <param name="Queue">The queue the submit named (<c>"queue"</c>), already checked against the function's route; null = its routed queue.</param>
public sealed record JobCommand(JobRef Job, string To, string Cmd, string DataJson, JobPriority Priority, bool IsWorkflowStep = false, string? Queue = null, string? ConcurrencyKey = null, int ConcurrencyLimit = 1, long? RunAtMs = null);
