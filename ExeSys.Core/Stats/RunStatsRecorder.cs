using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ExeSys.Core.Stats;

/// <summary>
/// What one worker counted since its last flush, per function: attempts by outcome and a histogram of their run times
/// (<see cref="RunTimeHistogram"/>). Recording is a few interlocked increments in memory; <see cref="StatsFlushService"/>
/// drains it into Redis once per interval, so the statistics cost no Redis command per job.
/// </summary>
public sealed class RunStatsRecorder
{
    private readonly ConcurrentDictionary<string, Tally> _functions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _submitted = new(StringComparer.Ordinal);

    /// <summary>Counts <paramref name="jobs"/> new jobs an API process accepted for <paramref name="tenant"/> (flushed as <see cref="StatsField.Submitted"/>).</summary>
    public void RecordSubmitted(string tenant, int jobs = 1)
    {
        if (jobs > 0)
        {
            Interlocked.Add(ref _submitted.GetOrAdd(StatsField.Submitted(tenant), static _ => new StrongBox<long>()).Value, jobs);
        }
    }

    public void Record(string function, string outcome, TimeSpan runTime)
    {
        var tally = _functions.GetOrAdd(function, static _ => new Tally());
        Interlocked.Increment(ref tally.Outcomes[Array.IndexOf(RunOutcome.All, outcome) is var i and >= 0 ? i : 1]);
        Interlocked.Increment(ref tally.Buckets[RunTimeHistogram.BucketOf(runTime.TotalMilliseconds)]);
    }

    /// <summary>Takes what was counted since the last drain, as store fields (<see cref="StatsField"/>) and the counts to add.</summary>
    public List<KeyValuePair<string, long>> Drain()
    {
        var fields = new List<KeyValuePair<string, long>>();
        foreach (var (field, count) in _submitted)
        {
            if (Interlocked.Exchange(ref count.Value, 0) is var n and > 0)
            {
                fields.Add(new(field, n));
            }
        }

        foreach (var (function, tally) in _functions)
        {
            for (var i = 0; i < tally.Outcomes.Length; i++)
            {
                if (Interlocked.Exchange(ref tally.Outcomes[i], 0) is var n and > 0)
                {
                    fields.Add(new(StatsField.Outcome(function, RunOutcome.All[i]), n));
                }
            }

            for (var b = 0; b < tally.Buckets.Length; b++)
            {
                if (Interlocked.Exchange(ref tally.Buckets[b], 0) is var n and > 0)
                {
                    fields.Add(new(StatsField.Bucket(function, b), n));
                }
            }
        }

        return fields;
    }

    /// <summary>Puts back counts a flush could not write, so they go with the next one.</summary>
    public void Restore(IEnumerable<KeyValuePair<string, long>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var (field, n) in fields)
        {
            if (StatsField.TenantOfSubmitted(field) is not null)
            {
                Interlocked.Add(ref _submitted.GetOrAdd(field, static _ => new StrongBox<long>()).Value, n);
                continue;
            }

            var parsed = StatsField.Parse(field);
            if (parsed is not { } p)
            {
                continue;
            }

            var tally = _functions.GetOrAdd(p.Function, static _ => new Tally());
            if (p.Bucket is { } b)
            {
                Interlocked.Add(ref tally.Buckets[b], n);
            }
            else
            {
                Interlocked.Add(ref tally.Outcomes[Array.IndexOf(RunOutcome.All, p.Outcome)], n);
            }
        }
    }

    private sealed class Tally
    {
        public readonly long[] Outcomes = new long[RunOutcome.All.Length];
        public readonly long[] Buckets = new long[RunTimeHistogram.Buckets];
    }
}

/// <summary>
/// The fields of a statistics hash (<c>RedisKeys.StatsMinute</c>, <c>RedisKeys.StatsHour</c>):
/// <c>&lt;function&gt;|&lt;outcome&gt;</c> → attempts, <c>&lt;function&gt;|#&lt;bucket&gt;</c> → attempts whose run time fell in that
/// bucket. A function name never holds '|' (JobIdentifiers). Besides, <c>~submitted:&lt;tenant&gt;</c> → new jobs the API
/// processes accepted for that tenant: '~' and the missing '|' keep it apart from every function's fields (a function name
/// never holds '~' either), so <see cref="Parse"/> passes it by.
/// </summary>
public static class StatsField
{
    private const string SubmittedPrefix = "~submitted:";

    public static string Submitted(string tenant) => SubmittedPrefix + tenant;

    /// <summary>The tenant of a <see cref="Submitted"/> field; null for any other field.</summary>
    public static string? TenantOfSubmitted(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.StartsWith(SubmittedPrefix, StringComparison.Ordinal) && field.Length > SubmittedPrefix.Length ? field[SubmittedPrefix.Length..] : null;
    }

    public static string Outcome(string function, string outcome) => function + "|" + outcome;

    public static string Bucket(string function, int bucket) => function + "|#" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The function and either the outcome or the bucket of a field; null for a field of another shape.</summary>
    public static (string Function, string? Outcome, int? Bucket)? Parse(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var bar = field.LastIndexOf('|');
        if (bar <= 0)
        {
            return null;
        }

        var function = field[..bar];
        var rest = field[(bar + 1)..];
        if (rest.StartsWith('#'))
        {
            return int.TryParse(rest.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b) && b < RunTimeHistogram.Buckets
                ? (function, null, b)
                : null;
        }

        return Array.IndexOf(RunOutcome.All, rest) >= 0 ? (function, rest, null) : null;
    }
}
