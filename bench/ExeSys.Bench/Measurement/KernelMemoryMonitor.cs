using System.Globalization;

namespace ExeSys.Bench.Measurement;

/// <summary>
/// Finds a running DAMON monitor (the kernel's data-access monitor, <c>kdamond</c>), which some VMs run for proactive
/// reclaim. It samples the accessed bits of pages, Redis's among them in proportion to Redis's size, and on the VM this
/// benchmark was tuned on that raised the tail latency of the retained row. The report names it, so a reader of a
/// run knows the machine did this.
/// </summary>
internal static class KernelMemoryMonitor
{
    private const string Root = "/sys/kernel/mm/damon/admin/kdamonds";

    /// <returns>One line per running kdamond context (operations, scheme actions, sampling interval), or empty.</returns>
    public static IReadOnlyList<string> DescribeDamon()
    {
        var found = new List<string>();
        try
        {
            if (!Directory.Exists(Root))
            {
                return found;
            }

            foreach (var kdamond in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
            {
                if (Read(Path.Combine(kdamond, "state")) != "on")
                {
                    continue;
                }

                foreach (var context in Subdirectories(Path.Combine(kdamond, "contexts")))
                {
                    var operations = Read(Path.Combine(context, "operations")) ?? "?";
                    var actions = Subdirectories(Path.Combine(context, "schemes"))
                        .Select(scheme => Read(Path.Combine(scheme, "action")))
                        .OfType<string>()
                        .ToList();
                    var sampleUs = Read(Path.Combine(context, "monitoring_attrs", "intervals", "sample_us"));
                    var sampling = long.TryParse(sampleUs, NumberStyles.Integer, CultureInfo.InvariantCulture, out var us)
                        ? string.Create(CultureInfo.InvariantCulture, $", samples every {us / 1000.0:0.#} ms")
                        : string.Empty;
                    found.Add($"kdamond {Path.GetFileName(kdamond)}: operations {operations}, schemes [{string.Join(", ", actions)}]{sampling}");
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not readable here: nothing to report.
        }

        return found;
    }

    /// <summary>Numbered subdirectories (0, 1, ...) of a DAMON sysfs list, in order.</summary>
    private static IEnumerable<string> Subdirectories(string list) =>
        Directory.Exists(list)
            ? Directory.EnumerateDirectories(list).Where(d => int.TryParse(Path.GetFileName(d), out _)).Order(StringComparer.Ordinal)
            : [];

    private static string? Read(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : null;
}
