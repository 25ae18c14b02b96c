using ExeSys.Bench.Measurement;
using ExeSys.Bench.Scenarios;

namespace ExeSys.Bench.Reporting;

/// <summary>Turns the repetitions of a scenario into its report rows: the median of every figure (failures: the sum), row by row.</summary>
internal static class Aggregation
{
    /// <summary>Counts that add up over repetitions instead: one failed job in three runs must show, not vanish in a median.</summary>
    private static readonly HashSet<string> Summed = new(StringComparer.Ordinal) { "failed" };

    public static IReadOnlyList<RowReport> Rows(IReadOnlyList<IReadOnlyList<ScenarioRow>> repetitions, Figures? roundTrips)
    {
        var labels = repetitions.SelectMany(r => r).Select(r => r.Label).Distinct().ToList();
        var rows = new List<RowReport>();
        foreach (var label in labels)
        {
            var runs = repetitions.SelectMany(r => r).Where(r => r.Label == label).ToList();
            var median = new Figures();
            foreach (var key in runs.SelectMany(r => r.Figures.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                var values = runs.Where(r => r.Figures.ContainsKey(key)).Select(r => r.Figures[key]).ToList();
                median[key] = Summed.Contains(key) ? values.Sum() : Percentiles.Median(values);
            }

            foreach (var (key, value) in roundTrips ?? [])
            {
                median[key] = value;
            }

            rows.Add(new RowReport(label, median, [.. runs.Select(r => r.Figures)], [.. runs.SelectMany(r => r.Errors).Distinct().Take(10)]));
        }

        return rows;
    }
}
