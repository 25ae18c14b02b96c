using System.Globalization;
using StackExchange.Redis;

namespace ExeSys.Bench.Measurement;

/// <summary>The counters of one <c>INFO commandstats stats memory cpu</c> reply.</summary>
internal sealed record RedisInfo(
    IReadOnlyDictionary<string, long> CallsByCommand,
    long TotalCommandsProcessed,
    long ReadsProcessed,
    long UsedMemory,
    double CpuSeconds)
{
    /// <summary>
    /// Commands the bench itself sends while measuring. They are left out of every per-job figure. ExeSys never
    /// sends INFO after connecting.
    /// </summary>
    public const string BenchOwnCommand = "info";

    public static async Task<RedisInfo> ReadAsync(IServer server)
    {
        // One INFO call with all sections, so the snapshot is one instant and costs one command.
        var text = (string)(await server.ExecuteAsync("INFO", "commandstats", "stats", "memory", "cpu"))!;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || colon < 0)
            {
                continue;
            }

            var key = line[..colon];
            var value = line[(colon + 1)..];
            if (key.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                // cmdstat_evalsha:calls=12,usec=...; subcommands read cmdstat_client|list.
                var callsText = value.Split(',')[0];
                calls[key["cmdstat_".Length..]] = long.Parse(callsText["calls=".Length..], CultureInfo.InvariantCulture);
            }
            else
            {
                fields[key] = value;
            }
        }

        return new RedisInfo(
            calls,
            Long(fields, "total_commands_processed"),
            Long(fields, "total_reads_processed"),
            Long(fields, "used_memory"),
            Double(fields, "used_cpu_user") + Double(fields, "used_cpu_sys"));
    }

    /// <summary>Commands run between two snapshots, including those run inside Lua, without the bench's own.</summary>
    public static long CommandsBetween(RedisInfo before, RedisInfo after) =>
        after.CallsByCommand.Where(c => c.Key != BenchOwnCommand)
            .Sum(c => c.Value - before.CallsByCommand.GetValueOrDefault(c.Key));

    private static long Long(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;

    private static double Double(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : 0;
}
