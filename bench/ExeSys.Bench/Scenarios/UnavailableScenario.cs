namespace ExeSys.Bench.Scenarios;

/// <summary>A scenario the product cannot run yet. It is listed, so the gap shows in every report, never faked.</summary>
internal sealed class UnavailableScenario(string name, string description, string reason) : IScenario
{
    public string Name => name;

    public string Description => description;

    public string? Unavailable => reason;

    public Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{name} is not available: {reason}");

    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);
}
