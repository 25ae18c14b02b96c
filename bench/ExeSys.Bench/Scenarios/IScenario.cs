namespace ExeSys.Bench.Scenarios;

/// <summary>One line of results. Most scenarios give one; retained gives one per retained-job count.</summary>
internal sealed record ScenarioRow(string Label, Figures Figures, IReadOnlyList<string> Errors);

/// <summary>
/// A benchmark scenario. To add one, implement this and list it in <see cref="ScenarioCatalog"/>; the runner,
/// the median of repeats, the table and the JSON file take it from there.
/// </summary>
internal interface IScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>Null when the scenario can run; otherwise the reason it cannot, printed instead of figures.</summary>
    string? Unavailable { get; }

    /// <summary>A long soak rather than a measurement of speed: left out of a run that names no scenarios (and of compare.sh).</summary>
    bool RunsOnlyWhenNamed => false;

    /// <summary>One timed repetition.</summary>
    Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken);

    /// <summary>The untimed MONITOR pass that counts client round trips per job (once, not per repetition); null if not counted.</summary>
    Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken);
}
