using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Configuration;

public sealed class JobOptions : IValidatableObject
{
    public const string Section = "ExeSys:Jobs";

    /// <summary>How long a finished job's state and result stay in Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "ExeSys:Jobs:Retention must be between 1 second and 3650 days.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a posted event is kept for wait_event jobs that start waiting after it was posted (events posted since a
    /// job was created count for it).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00", ErrorMessage = "ExeSys:Jobs:EventRetention must be between 1 ms and 7 days.")]
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The longest a wait_event job defers itself between two looks, with or without a timeout. Each look reads the
    /// events retained since the previous one, so an event whose delivery was cut off (a crash between a post's
    /// steps) still reaches the job within this interval; a waiter whose job stops looking leaves after two of them.
    /// At most <see cref="EventRetention"/>, so a missed event is still retained when the next look comes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "ExeSys:Jobs:EventRecheck must be between 100 ms and 1 day.")]
    public TimeSpan EventRecheck { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most posts of one event name retained at once (the oldest go first), which bounds the recent set's size.</summary>
    [Range(1, 1_000_000, ErrorMessage = "ExeSys:Jobs:EventRecentMax must be 1..1000000.")]
    public int EventRecentMax { get; set; } = 10_000;

    /// <summary>
    /// The longest a wait_countdown job defers itself between two looks. The release that brings its latch to zero
    /// wakes it at once; this look heals a wake-up cut off by a crash, and finds a latch whose last hold lapsed. A
    /// waiter whose job stops looking leaves after two of them.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "ExeSys:Jobs:LatchRecheck must be between 100 ms and 1 day.")]
    public TimeSpan LatchRecheck { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a wait_acquire's hold counts unless its data says (<c>hold_ms</c>): a holder that never releases (its run
    /// was cancelled, failed or forgotten) leaves the latch after this, so no latch stays up for ever.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ErrorMessage = "ExeSys:Jobs:LatchHold must be between 1 second and 30 days.")]
    public TimeSpan LatchHold { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a claimed job may go without a lease renewal before the controller gives it to another worker.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "ExeSys:Jobs:LeaseDuration must be between 1 second and 1 hour.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How far ahead of a normal job a high-priority job is queued (and a low one behind). A job waits at most
    /// twice this long behind jobs of higher priority, so a stream of high-priority jobs cannot starve low ones.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "ExeSys:Jobs:PriorityAging must be between 0 and 1 day.")]
    public TimeSpan PriorityAging { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a job runs at most when its function throws an unexpected exception (a FunctionException is never retried).</summary>
    [Range(1, 100, ErrorMessage = "ExeSys:Jobs:MaxAttempts must be 1..100.")]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before the second attempt; each later attempt waits twice as long, with ±20% jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "ExeSys:Jobs:RetryBackoff must be between 0 and 1 hour.")]
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The furthest ahead a delayed job may be set to start (<c>run_at</c> or <c>delay</c> on <c>/sys_cmd</c>); a later
    /// one gets 400. A delayed job waits in its queue's scheduled set, so this bounds how long that entry stays.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "ExeSys:Jobs:MaxDelay must be between 1 second and 3650 days.")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The longest <c>from</c>, <c>to</c>, <c>cmd</c> or <c>job_id</c>.</summary>
    [Range(8, 512, ErrorMessage = "ExeSys:Jobs:MaxIdLength must be 8..512.")]
    public int MaxIdLength { get; set; } = 128;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EventRecheck > EventRetention)
        {
            yield return new ValidationResult(
                $"ExeSys:Jobs:EventRecheck ({EventRecheck}) must not exceed ExeSys:Jobs:EventRetention ({EventRetention}): a wait_event job's next look must come while a missed event is still retained.",
                [nameof(EventRecheck)]);
        }
    }
}
