using System.Text.Json;
using System.Text.RegularExpressions;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Observability;

/// <summary>
/// deploy/: the Prometheus scrape config, the alert rules (and their unit tests) pass promtool, and the Grafana
/// dashboard and the rules ask only for metrics the README's Metrics table documents.
/// </summary>
[TestFixture]
public sealed partial class Checking_the_monitoring_files
{
    private static readonly string Root = FindRoot();
    private static readonly string Prometheus = Path.Combine(Root, "deploy", "prometheus");
    private static readonly string[] HistogramSuffixes = ["_bucket", "_count", "_sum"];

    [Test]
    public async Task Should_pass_promtool_on_the_scrape_config_the_rules_and_the_rules_tests()
    {
        var config = await PrometheusText.PromtoolAsync(null, "check", "config", "--syntax-only", Path.Combine(Prometheus, "prometheus.yml"));
        var rules = await PrometheusText.PromtoolAsync(null, "check", "rules", Path.Combine(Prometheus, "alerts.yml"));
        var tests = await PrometheusText.PromtoolAsync(null, "test", "rules", Path.Combine(Prometheus, "alerts.test.yml"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(config.Code, Is.Zero, config.Output);
            Assert.That(rules.Code, Is.Zero, rules.Output);
            Assert.That(rules.Output, Does.Contain("5 rules found"), "growing queue, no workers, failure ratio, archive backlog, lease recoveries");
            Assert.That(tests.Code, Is.Zero, tests.Output);
        }
    }

    [Test]
    public void Should_use_only_documented_metrics_in_the_dashboard_and_the_rules()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var documented = DocumentedName().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "grafana", "exesys-dashboard.json")));
        var expressions = Expressions(dashboard.RootElement).Append(File.ReadAllText(Path.Combine(Prometheus, "alerts.yml"))).ToList();
        var used = expressions.SelectMany(e => UsedName().Matches(e).Select(m => m.Value)).Distinct(StringComparer.Ordinal).ToList();
        var undocumented = used.Where(u => !documented.Contains(BaseName(u))).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(dashboard.RootElement.GetProperty("panels").GetArrayLength(), Is.GreaterThanOrEqualTo(10));
            Assert.That(used, Has.Count.GreaterThan(10), "the files were read");
            Assert.That(undocumented, Is.Empty, "metrics the README's Metrics table does not list");
        }
    }

    private static string BaseName(string name) =>
        HistogramSuffixes.FirstOrDefault(s => name.EndsWith(s, StringComparison.Ordinal) && name.Contains("_seconds", StringComparison.Ordinal)) is { } suffix
            ? name[..^suffix.Length]
            : name;

    private static IEnumerable<string> Expressions(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => p.Name == "expr" ? [p.Value.GetString()!] : Expressions(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Expressions),
        _ => [],
    };

    private static string FindRoot() => Repository.Root;

    /// <summary>A metric as the README's Metrics table writes it: `exesys_..._total` in backticks.</summary>
    [GeneratedRegex("`((?:exesys|messaging|http_server|dotnet)_[a-z0-9_]+)`")]
    private static partial Regex DocumentedName();

    [GeneratedRegex("(?:exesys|messaging|http_server)_[a-z0-9_]+")]
    private static partial Regex UsedName();
}
