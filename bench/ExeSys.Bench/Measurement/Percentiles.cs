namespace ExeSys.Bench.Measurement;

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile (the smallest sample with at least q of all samples at or below it).</summary>
    public static double Of(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The median; with an even count, the mean of the middle two.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var n = sorted.Count;
        return n == 0 ? double.NaN
            : n % 2 == 1 ? sorted[n / 2]
            : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Adds p50, p95, p99, max and mean of submit→result times as <c>NAME_p50_ms</c> ...</summary>
    public static void Summarize(Figures figures, string name, IEnumerable<double> latenciesMs)
    {
        var sorted = latenciesMs.Order().ToList();
        figures[$"{name}_p50_ms"] = Of(sorted, 0.50);
        figures[$"{name}_p95_ms"] = Of(sorted, 0.95);
        figures[$"{name}_p99_ms"] = Of(sorted, 0.99);
        figures[$"{name}_max_ms"] = sorted.Count > 0 ? sorted[^1] : double.NaN;
        figures[$"{name}_mean_ms"] = sorted.Count > 0 ? sorted.Average() : double.NaN;
    }
}
