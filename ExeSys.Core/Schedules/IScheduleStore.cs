namespace ExeSys.Core.Schedules;

public enum ScheduleSaveOutcome
{
    Saved,

    /// <summary>Create: a schedule of that name exists.</summary>
    Exists,

    /// <summary>Update, pause, resume, delete or trigger: no such schedule.</summary>
    Missing,

    /// <summary>Create: ExeSys:Schedules:MaxSchedules are stored.</summary>
    Full,
}

/// <summary>One recorded firing: its fire time (ms), its job_id and what became of it (started or skipped).</summary>
public sealed record ScheduleRun(long FireMs, string JobId, string Outcome);

/// <summary>A schedule as stored: its definition and its state. Times are Unix ms.</summary>
public sealed record StoredSchedule(ScheduleDefinition Definition, long? NextMs, bool Paused, string? LastJobId, long? BufferedMs, long CreatedMs, long UpdatedMs, IReadOnlyList<ScheduleRun> Runs);

/// <summary>A page of one tenant's schedules, its <see cref="Total"/>, and the stored name to list on from when the page was full.</summary>
public sealed record ScheduleListing(IReadOnlyList<StoredSchedule> Schedules, long Total, string? NextAfter);

/// <summary>A firing a controller holds: it decides its overlap, submits its job and settles it.</summary>
public sealed record Firing(string Name, long FireMs, ScheduleDefinition Definition, string? LastJobId, long? BufferedMs);

/// <summary>A schedule a controller took because it is due: its definition and the fire time it is due for.</summary>
public sealed record DueSchedule(string Name, ScheduleDefinition Definition, long FireMs);

/// <summary>One schedule's firing as planned by the controller: fire these times, then carry on at next.</summary>
public sealed record PlannedFiring(DueSchedule Schedule, IReadOnlyList<long> Fires, long? NextMs, long? NextDueMs);

/// <summary>What to record of a firing: started, skipped, buffered (waits for the previous run) or dropped.</summary>
public sealed record SettledFiring(string Name, long FireMs, string Outcome, string JobId);

/// <summary>
/// Schedules in storage. The API manages them; the controllers take the due ones, fire them (each fire time once,
/// whatever number of controllers: <see cref="FireAsync"/>) and settle their firings. Each call is one atomic script.
/// </summary>
public interface IScheduleStore
{
    Task<ScheduleSaveOutcome> SaveAsync(ScheduleDefinition definition, bool create, long? nextMs, bool? paused);

    Task<StoredSchedule?> GetAsync(string name);

    /// <summary>
    /// One tenant's schedules by name after <paramref name="after"/> (a stored name of that tenant, exclusive; null =
    /// from the first), at most <paramref name="limit"/>, and how many that tenant has.
    /// </summary>
    Task<ScheduleListing> ListAsync(string tenant, string? after, int limit);

    Task<ScheduleSaveOutcome> PauseAsync(string name);

    /// <summary>Resumes with <paramref name="nextMs"/> (from now: the firings missed while paused do not fire).</summary>
    Task<ScheduleSaveOutcome> ResumeAsync(string name, ScheduleDefinition definition, long? nextMs);

    Task<ScheduleSaveOutcome> DeleteAsync(string name);

    /// <summary>A firing now, outside the timetable; false when the same second's firing is already pending.</summary>
    Task<ScheduleSaveOutcome> TriggerAsync(string name, long fireMs);

    /// <summary>Takes up to <paramref name="max"/> due schedules, holding each for the lease.</summary>
    Task<IReadOnlyList<DueSchedule>> TakeDueAsync(int max);

    /// <summary>Advances each schedule whose next fire time is still the one planned from, and records its firings; returns the firings recorded.</summary>
    Task<IReadOnlyList<Firing>> FireAsync(IReadOnlyList<PlannedFiring> planned);

    /// <summary>Takes up to <paramref name="max"/> firings whose hold lapsed (triggered, buffered, or orphaned by a dead controller).</summary>
    Task<IReadOnlyList<Firing>> TakePendingAsync(int max);

    Task SettleAsync(IReadOnlyList<SettledFiring> settled, TimeSpan recheck);
}
