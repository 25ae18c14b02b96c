namespace ExeSys.Bench.Scenarios;

/// <summary>Every scenario, in report order.</summary>
internal static class ScenarioCatalog
{
    // ExeSys gained workflows (fc82aea) while this tool was written; driving them is the next scenario to add.
    private const string NoWorkflows = "not available (workflow scenarios not implemented yet)";

    /// <summary>echo's data in the no-op scenarios: tiny, so the cost measured is ExeSys's own.</summary>
    public const string TinyData = """{"n":1}""";

    public static IReadOnlyList<IScenario> All { get; } =
    [
        new ThroughputScenario("noop", "echo with tiny data, --concurrency requests in flight", TinyData),
        new ThroughputScenario("payload10k", "echo with 10 KB of data, --concurrency requests in flight", TenKilobytes()),
        new LatencyScenario(),
        new RetainedScenario(),
        new UnavailableScenario("chain10", "10-step chain: the controller's overhead per step", NoWorkflows),
        new UnavailableScenario("dag100", "100-node DAG", NoWorkflows),
    ];

    /// <summary>A JSON object of exactly 10,240 bytes.</summary>
    private static string TenKilobytes()
    {
        const string Open = "{\"blob\":\"";
        const string Close = "\"}";
        return string.Concat(Open, new string('x', 10_240 - Open.Length - Close.Length), Close);
    }
}
