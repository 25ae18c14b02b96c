using System.ComponentModel.DataAnnotations;
using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;

namespace ExeSys.Core.Limits;

/// <summary>
/// Global capacity limits (<c>ExeSys:Limits</c>): per function and per queue, a maximum concurrency and a rate limit,
/// enforced atomically by the claim in Redis across all workers (Redis/Scripts/_lanes.lua). The controller publishes
/// them to Redis at start (<see cref="Redis.RedisLimits"/>), where the scripts read them; every process compares its own
/// with what Redis holds and warns when they differ.
/// </summary>
public sealed class LimitsOptions : IValidatableObject
{
    public const string Section = "ExeSys:Limits";

    /// <summary>The longest function or queue name a limit may name.</summary>
    public const int MaxNameLength = 128;

    /// <summary>The most limits (functions and queues together): each is one field of one hash that a claim of a limited lane reads.</summary>
    public const int MaxLimits = 10_000;

    /// <summary>Limits by function name.</summary>
    public Dictionary<string, LimitOptions> Functions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Limits by queue name (<c>default</c>, or a named queue: ExeSys:Queues).</summary>
    public Dictionary<string, LimitOptions> Queues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether any function or queue has a limit.</summary>
    public bool Any => Functions.Count > 0 || Queues.Count > 0;

    /// <summary>The limits as Redis holds them: scope (<c>f:&lt;function&gt;</c>, <c>q:&lt;queue&gt;</c>) → <c>max|rate|period_ms</c>.</summary>
    public IReadOnlyDictionary<string, string> ToScopes()
    {
        var scopes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, limit) in Functions)
        {
            scopes["f:" + name] = limit.ToWire();
        }

        foreach (var (name, limit) in Queues)
        {
            scopes["q:" + name] = limit.ToWire();
        }

        return scopes;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Functions.Count + Queues.Count > MaxLimits)
        {
            yield return new ValidationResult($"{Section} names {Functions.Count + Queues.Count} limits; at most {MaxLimits} are allowed.");
        }

        foreach (var (kind, limits) in new[] { ("Functions", Functions), ("Queues", Queues) })
        {
            foreach (var (name, limit) in limits)
            {
                var setting = $"{Section}:{kind}:{name}";
                if (JobIdentifiers.Check(setting, name, MaxNameLength) is { } bad)
                {
                    yield return new ValidationResult($"{setting}: the name is not valid: {bad}");
                }

                if (kind == "Queues" && !QueueRouting.IsValidName(name))
                {
                    yield return new ValidationResult($"{setting}: '{name}' is not a queue name ({QueueRouting.NameRule}).");
                }

                var results = new List<ValidationResult>();
                Validator.TryValidateObject(limit, new ValidationContext(limit), results, validateAllProperties: true);
                foreach (var result in results)
                {
                    yield return new ValidationResult($"{setting}:{string.Join(",", result.MemberNames)}: {result.ErrorMessage}");
                }

                if (limit.MaxConcurrency is null && limit.RatePerPeriod is null)
                {
                    yield return new ValidationResult($"{setting} sets neither MaxConcurrency nor RatePerPeriod: a limit needs at least one.");
                }
            }
        }
    }
}

/// <summary>One function's or queue's limits.</summary>
public sealed class LimitOptions
{
    /// <summary>At most this many of its jobs run at once, across all workers.</summary>
    [Range(1, 100_000, ErrorMessage = "must be 1..100000.")]
    public int? MaxConcurrency { get; set; }

    /// <summary>At most this many of its jobs start in any <see cref="RatePeriod"/> (a sliding window), across all workers.</summary>
    [Range(1, 10_000, ErrorMessage = "must be 1..10000 (the sliding log keeps one entry per start of the last period).")]
    public int? RatePerPeriod { get; set; }

    /// <summary>The window of <see cref="RatePerPeriod"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "must be between 10 ms and 1 day.")]
    public TimeSpan RatePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>As _lanes.lua reads it: <c>max|rate|period_ms</c>, 0 for none.</summary>
    internal string ToWire() => string.Create(CultureInfo.InvariantCulture,
        $"{MaxConcurrency ?? 0}|{RatePerPeriod ?? 0}|{(RatePerPeriod is null ? 0 : (long)RatePeriod.TotalMilliseconds)}");
}
