namespace ExeSys.Core.Jobs;

/// <summary>
/// One read of a job's Redis state. <see cref="ResultJson"/> is the EOJ value as JSON text, present in state 3.
/// Times are Unix milliseconds. <see cref="RetryAtMs"/> is set while a failed job waits for another attempt;
/// <see cref="Errors"/> holds every failed attempt's error, oldest first; <see cref="ProgressJson"/> a runner's latest intermediate result.
/// </summary>
public sealed record JobSnapshot(
    JobRef Job,
    JobState State,
    string To,
    string Cmd,
    string DataJson,
    JobPriority Priority,
    long CreatedMs,
    long UpdatedMs,
    int Attempts,
    string? Error,
    string? Worker,
    string? ResultJson,
    long? RetryAtMs = null,
    IReadOnlyList<string>? Errors = null,
    string? ProgressJson = null);
