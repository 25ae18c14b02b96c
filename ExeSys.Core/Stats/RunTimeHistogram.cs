namespace ExeSys.Core.Stats;

/// <summary>
/// The fixed log-scale buckets of run times that workers count and <c>GET /stats</c> merges: bucket 0 holds runs under
/// 0.1 ms, bucket i (1..<see cref="Buckets"/>-1) runs from 0.1 ms × 2^((i-1)/4) up to 0.1 ms × 2^(i/4), so each bucket is
/// 19% wider than the one before; the last holds everything from about 2.7 hours on. A percentile is reported as its
/// bucket's geometric middle, within 9.5% of any run time in that bucket.
/// </summary>
public static class RunTimeHistogram
{
    public const int Buckets = 112;
    private const double FirstMs = 0.1;
    private const int PerDoubling = 4;

    public static int BucketOf(double ms)
    {
        if (!(ms >= FirstMs))
        {
            return 0;
        }

        var i = (int)Math.Floor(Math.Log2(ms / FirstMs) * PerDoubling) + 1;
        return Math.Min(i, Buckets - 1);
    }

    /// <summary>The lower bound of bucket <paramref name="bucket"/> in ms (0 for bucket 0).</summary>
    public static double LowerMs(int bucket) => bucket <= 0 ? 0 : FirstMs * Math.Pow(2, (bucket - 1) / (double)PerDoubling);

    /// <summary>The value a percentile in bucket <paramref name="bucket"/> is reported as: its geometric middle.</summary>
    public static double MiddleMs(int bucket) =>
        bucket <= 0 ? FirstMs / 2 : LowerMs(bucket) * Math.Pow(2, 0.5 / PerDoubling);

    /// <summary>The <paramref name="quantile"/> (0..1) of the run times counted in <paramref name="counts"/> (per bucket), or null when none.</summary>
    public static double? Percentile(long[] counts, double quantile)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var total = counts.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Round(MiddleMs(i), 3);
            }
        }

        return Math.Round(MiddleMs(counts.Length - 1), 3);
    }
}
