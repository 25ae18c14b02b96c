namespace ExeSys.Core.Jobs;

/// <summary>A job to put on a queue: its priority, its function (the lane it waits in) and its queue.</summary>
public readonly record struct QueuedJob(JobRef Job, JobPriority Priority, string Function, string Queue);
