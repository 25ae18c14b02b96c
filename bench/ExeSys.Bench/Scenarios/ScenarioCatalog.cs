using ExeSys.Bench.Load;

namespace ExeSys.Bench.Scenarios;

/// <summary>Every scenario, in report order.</summary>
internal static class ScenarioCatalog
{
    /// <summary>echo's data in the no-op scenarios: tiny, so the cost measured is ExeSys's own.</summary>
    public const string TinyData = """{"n":1}""";

    public static IReadOnlyList<IScenario> All { get; } =
    [
        new ThroughputScenario("noop", "echo with tiny data, --concurrency requests in flight", TinyData),
        new ThroughputScenario("payload10k", "echo with 10 KB of data, --concurrency requests in flight", TenKilobytes()),
        new ThroughputScenario("limited", "noop, but every job carries a concurrency_key (one of 64, with a limit never reached): the cost of a limited job", TinyData, keys: 64),
        new BatchScenario(),
        new LatencyScenario(),
        new RetainedScenario(),
        new WorkflowScenario("chain10", "10-step chain of echo nodes through POST /workflows: the time between a step's end and the next step's start",
            new WorkflowGraph(Layers: 10, Width: 1, FanIn: 1),
            [
                new WorkflowLoad(_ => "1 at a time", o => o.WorkflowSequential, _ => 1),
                new WorkflowLoad(o => $"{o.WorkflowConcurrency} in flight", o => o.WorkflowRuns, o => o.WorkflowConcurrency),
            ]),
        new WorkflowScenario("dag100", "100 echo nodes in 10 layers of 10, each node after 3 of the layer before, one run at a time",
            new WorkflowGraph(Layers: 10, Width: 10, FanIn: 3),
            [new WorkflowLoad(_ => "1 at a time", o => o.DagRuns, _ => 1)]),
        new EventSoakScenario(),
        new ScheduleScenario(),
        new ConsoleScenario(),
    ];

    /// <summary>A JSON object of exactly 10,240 bytes.</summary>
    private static string TenKilobytes()
    {
        const string Open = "{\"blob\":\"";
        const string Close = "\"}";
        return string.Concat(Open, new string('x', 10_240 - Open.Length - Close.Length), Close);
    }
}
