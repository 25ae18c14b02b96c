using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Cronos;

namespace ExeSys.Core.Schedules;

/// <summary>
/// A schedule's fire times, computed here (Cronos for cron expressions, in the schedule's IANA time zone, DST as Cronos
/// handles it: a local time that does not exist on a spring-forward day fires at the first instant after the gap, an
/// ambiguous one on a fall-back day fires once, at its first occurrence) and passed to the scripts, which only compare.
/// Fire times are whole seconds; the job of a firing is named by it (<see cref="JobId"/>).
/// </summary>
public static class ScheduleTimes
{
    private static readonly ConcurrentDictionary<string, CronExpression> Crons = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TimeZoneInfo> Zones = new(StringComparer.Ordinal);

    /// <summary>The length of the suffix <see cref="JobId"/> adds to a schedule's name: '.' and yyyyMMddTHHmmssZ.</summary>
    public const int JobIdSuffixLength = 17;

    /// <summary>A cron expression of 5 fields (minute precision) or 6 (the first is seconds); null when it is none.</summary>
    public static CronExpression? ParseCron(string text)
    {
        if (Crons.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if ((fields != 5 && fields != 6) || !CronExpression.TryParse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard, out var cron))
        {
            return null;
        }

        if (Crons.Count > 100_000)
        {
            Crons.Clear();
        }

        return Crons[text] = cron;
    }

    /// <summary>An IANA time zone (as the system's tz database knows it); null when unknown.</summary>
    public static TimeZoneInfo? FindZone(string id)
    {
        if (Zones.TryGetValue(id, out var zone))
        {
            return zone;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }

        return Zones[id] = zone;
    }

    /// <summary>The first fire time strictly after <paramref name="afterMs"/>, within the schedule's start and end; null when there is none.</summary>
    public static long? Next(ScheduleDefinition s, long afterMs)
    {
        if (s.StartMs is { } start && afterMs < start - 1)
        {
            afterMs = start - 1;
        }

        long next;
        if (s.IntervalMs is { } interval)
        {
            var k = afterMs < s.AnchorMs ? 0 : ((afterMs - s.AnchorMs) / interval) + 1;
            next = s.AnchorMs + (k * interval);
        }
        else
        {
            var from = DateTimeOffset.FromUnixTimeMilliseconds(afterMs);
            if (ParseCron(s.Cron!)!.GetNextOccurrence(from, FindZone(s.TimeZone)!, inclusive: false) is not { } at)
            {
                return null;
            }

            next = at.ToUnixTimeMilliseconds();
        }

        return s.EndMs is { } end && next > end ? null : next;
    }

    /// <summary>Up to <paramref name="count"/> fire times after <paramref name="afterMs"/>.</summary>
    public static IReadOnlyList<long> NextTimes(ScheduleDefinition s, long afterMs, int count)
    {
        var times = new List<long>(count);
        for (var at = afterMs; times.Count < count && Next(s, at) is { } next; at = next)
        {
            times.Add(next);
        }

        return times;
    }

    /// <summary>
    /// When the controller takes a fire time: the fire time plus the schedule's jitter, a fixed share of it per firing
    /// (a hash of the name and time), so every controller computes the same due time.
    /// </summary>
    public static long Due(ScheduleDefinition s, long fireMs)
    {
        if (s.JitterMs <= 0)
        {
            return fireMs;
        }

        // FNV-1a: stable across processes and runs (string.GetHashCode is randomized per process).
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes($"{s.Name}|{fireMs}"))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return fireMs + (long)(hash % (ulong)s.JitterMs);
    }

    /// <summary>The deterministic job_id of a firing: the schedule's name, '.', the fire time in UTC (yyyyMMddTHHmmssZ).</summary>
    public static string JobId(string name, long fireMs) =>
        $"{name}.{DateTimeOffset.FromUnixTimeMilliseconds(fireMs).UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";

    /// <summary>The fire time a job_id of <paramref name="name"/> names; null when it is not one of its firings.</summary>
    public static long? FireOf(string name, string jobId) =>
        jobId.Length == name.Length + JobIdSuffixLength && jobId.StartsWith(name + ".", StringComparison.Ordinal) &&
        DateTime.TryParseExact(jobId[(name.Length + 1)..], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds()
            : null;

    /// <summary>A firing's plan: which fire times fire now, and the schedule's next fire time after them.</summary>
    public readonly record struct Plan(IReadOnlyList<long> Fires, long? Next);

    /// <summary>
    /// What a schedule due at <paramref name="fireMs"/> does at <paramref name="nowMs"/>. A fire time at most the
    /// schedule's catch-up window late fires (late); older ones are misfires, which its misfire policy drops, fires once
    /// (the latest) or fires each (the latest max_catch_up). At most <paramref name="maxFires"/> fire in one plan;
    /// the rest stay due, for the next batch.
    /// </summary>
    public static Plan PlanAt(ScheduleDefinition s, long fireMs, long nowMs, int maxFires)
    {
        var cutoff = nowMs - s.CatchUpMs;
        var fires = new List<long>();
        long? at = fireMs;
        if (Due(s, fireMs) < cutoff)
        {
            // Misfires: the fire times older than the catch-up window. Only the last few periods before the window are
            // walked (the policy keeps at most max_catch_up), so days of downtime cost no more than that.
            var keep = s.Misfire switch { MisfirePolicy.FireAll => s.MaxCatchUp, MisfirePolicy.FireOnce => 1, _ => 0 };
            var start = fireMs;
            if (Next(s, cutoff - 1) is { } a && Next(s, a) is { } b)
            {
                start = Math.Max(fireMs, cutoff - ((keep + 2) * (b - a)));
            }

            var ring = new Queue<long>();
            for (at = start == fireMs ? fireMs : Next(s, start - 1); at is { } t && Due(s, t) < cutoff; at = Next(s, t))
            {
                ring.Enqueue(t);
                if (ring.Count > keep)
                {
                    ring.Dequeue();
                }
            }

            fires.AddRange(ring);
        }

        // In the window: each due fire time fires, in order.
        while (at is { } t && Due(s, t) <= nowMs && fires.Count < maxFires)
        {
            fires.Add(t);
            at = Next(s, t);
        }

        return new Plan(fires, at);
    }
}
