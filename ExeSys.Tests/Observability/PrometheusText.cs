using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ExeSys.Tests.Observability;

/// <summary>A scraped Prometheus text page: sums of samples by name and labels, and promtool's verdict on it.</summary>
public sealed partial class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/> ("key=value").</summary>
    public double Sum(string name, params string[] labels) =>
        Samples().Where(s => s.Name == name && labels.All(l => s.Labels.Contains(l))).Sum(s => s.Value);

    /// <summary>The distinct values of <paramref name="label"/> among the samples named <paramref name="name"/>.</summary>
    public IReadOnlyList<string> Values(string name, string label) =>
        [.. Samples().Where(s => s.Name == name).SelectMany(s => s.Labels).Where(l => l.StartsWith(label + "=", StringComparison.Ordinal)).Select(l => l[(label.Length + 1)..]).Distinct(StringComparer.Ordinal)];

    private IEnumerable<(string Name, HashSet<string> Labels, double Value)> Samples()
    {
        foreach (var line in Text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var labels = LabelPair().Matches(match.Groups["labels"].Value).Select(m => m.Groups[1].Value + "=" + m.Groups[2].Value).ToHashSet(StringComparer.Ordinal);
            yield return (match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Runs <c>promtool</c> with <paramref name="arguments"/> (and <paramref name="stdin"/>); returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> PromtoolAsync(string? stdin, params string[] arguments)
    {
        var info = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("promtool did not start");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output) + (await errors));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex LabelPair();
}
