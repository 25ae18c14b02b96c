using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Queues;

/// <summary>
/// Where each function's jobs wait (<c>ExeSys:Queues</c>), shared by every process: the API routes a submit with it, a
/// worker's and the controller's re-enqueues compute the same queue from the job's function. Keep it the same
/// everywhere, as the Redis connection is.
/// </summary>
public sealed class QueueOptions : IValidatableObject
{
    public const string Section = "ExeSys:Queues";

    /// <summary>
    /// Function → queues, e.g. <c>"render": "gpu"</c> or <c>"render": "gpu,default"</c>: its jobs go to the first; a
    /// submit may name any of the listed ones instead (<c>"queue"</c> in the body). A function without a route goes to
    /// <c>default</c>, and a submit may name any known queue for it. A routed function is known to the API even while no
    /// live worker offers it: its jobs wait in their queue.
    /// </summary>
    public Dictionary<string, string> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Queues that exist even with no route or worker yet (listed by <c>GET /queues</c>, nameable in a submit).</summary>
    public List<string> Names { get; set; } = [];

    /// <summary>
    /// How long a job may wait in its queue while no live worker offers its function before it ends in state 4
    /// ("No live worker offers function 'f' …"). Zero (the default) waits for ever: a job outlives a fleet's restarts.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "ExeSys:Queues:UnservedTimeout must be between 0 (wait for ever) and 3650 days.")]
    public TimeSpan UnservedTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>Per-function overrides of <see cref="UnservedTimeout"/> (zero: wait for ever).</summary>
    public Dictionary<string, TimeSpan> UnservedTimeouts { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (fn, queues) in Routes)
        {
            var list = QueueRouting.Split(queues);
            if (list.Count == 0)
            {
                yield return new ValidationResult($"ExeSys:Queues:Routes:{fn} names no queue.", [nameof(Routes)]);
            }

            foreach (var q in list.Where(q => !QueueRouting.IsValidName(q)))
            {
                yield return new ValidationResult($"ExeSys:Queues:Routes:{fn}: '{q}' is not a valid queue name ({QueueRouting.NameRule}).", [nameof(Routes)]);
            }
        }

        foreach (var q in Names.Where(q => !QueueRouting.IsValidName(q)))
        {
            yield return new ValidationResult($"ExeSys:Queues:Names: '{q}' is not a valid queue name ({QueueRouting.NameRule}).", [nameof(Names)]);
        }

        foreach (var (fn, wait) in UnservedTimeouts.Where(t => t.Value < TimeSpan.Zero))
        {
            yield return new ValidationResult($"ExeSys:Queues:UnservedTimeouts:{fn} must not be negative ({wait}).", [nameof(UnservedTimeouts)]);
        }
    }
}
