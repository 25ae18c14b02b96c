using System.Diagnostics;
using ExeSys.Bench.Target;
using StackExchange.Redis;

namespace ExeSys.Bench.Measurement;

/// <summary>
/// Takes the before/after readings around a measured window: Redis INFO counters, the CPU time of every ExeSys
/// process, of Redis and of the bench itself. Turns the difference into per-job figures.
/// </summary>
internal sealed class CostMeter(IServer redis, IReadOnlyList<ProcessRef> processes)
{
    public sealed record Reading(long Timestamp, RedisInfo Redis, IReadOnlyDictionary<string, TimeSpan?> Cpu, (TimeSpan Busy, TimeSpan Idle)? Machine);

    public async Task<Reading> ReadAsync()
    {
        var info = await RedisInfo.ReadAsync(redis);
        var cpu = new Dictionary<string, TimeSpan?>(StringComparer.Ordinal);
        foreach (var p in processes)
        {
            cpu[p.Label] = ProcessCpu.Read(p.Pid);
        }

        cpu["bench"] = ProcessCpu.Read(Environment.ProcessId);
        return new Reading(Stopwatch.GetTimestamp(), info, cpu, ProcessCpu.ReadMachine());
    }

    /// <summary>Adds the per-job costs between two readings to <paramref name="figures"/>.</summary>
    /// <param name="includeMemory">False where the window also deleted or wrote jobs other than the measured ones.</param>
    public void AddCosts(Reading before, Reading after, int jobs, Figures figures, bool includeMemory = true)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var commands = RedisInfo.CommandsBetween(before.Redis, after.Redis);
        figures["redis_cmds_per_job"] = (double)commands / jobs;
        figures["redis_socket_reads_per_job"] = (double)(after.Redis.ReadsProcessed - before.Redis.ReadsProcessed - 1) / jobs;
        if (includeMemory)
        {
            figures["redis_mem_bytes_per_job"] = (double)(after.Redis.UsedMemory - before.Redis.UsedMemory) / jobs;
        }

        var redisSeconds = after.Redis.CpuSeconds - before.Redis.CpuSeconds;
        AddCpu(figures, "redis", redisSeconds, jobs, seconds);
        var measuredSeconds = redisSeconds;

        foreach (var role in processes.Select(p => p.Role).Distinct().Append("bench"))
        {
            var labels = role == "bench" ? ["bench"] : processes.Where(p => p.Role == role).Select(p => p.Label).ToList();
            var spent = labels.Select(l => Spent(before, after, l)).ToList();
            if (spent.All(s => s is not null))
            {
                AddCpu(figures, role, spent.Sum(s => s!.Value.TotalSeconds), jobs, seconds);
                measuredSeconds += spent.Sum(s => s!.Value.TotalSeconds);
            }

            if (labels.Count > 1)
            {
                for (var i = 0; i < labels.Count; i++)
                {
                    if (spent[i] is { } s)
                    {
                        AddCpu(figures, labels[i], s.TotalSeconds, jobs, seconds);
                    }
                }
            }
        }

        AddMachine(before, after, jobs, seconds, measuredSeconds, figures);
    }

    /// <summary>
    /// The whole machine, and what of it no measured process used. On a shared machine "other" shows how much
    /// of the cores someone else took during the measurement; the figures are only sound when it is near 0.
    /// </summary>
    private static void AddMachine(Reading before, Reading after, int jobs, double seconds, double measuredSeconds, Figures figures)
    {
        if (before.Machine is not { } m0 || after.Machine is not { } m1)
        {
            return;
        }

        var busy = (m1.Busy - m0.Busy).TotalSeconds;
        AddCpu(figures, "machine", busy, jobs, seconds);
        AddCpu(figures, "other", Math.Max(0, busy - measuredSeconds), jobs, seconds);
        figures["machine_idle_cores"] = (m1.Idle - m0.Idle).TotalSeconds / seconds;
    }

    private static TimeSpan? Spent(Reading before, Reading after, string label) =>
        before.Cpu.GetValueOrDefault(label) is { } b && after.Cpu.GetValueOrDefault(label) is { } a ? a - b : null;

    /// <summary>CPU ms per 1,000 jobs, and the share of one core it kept busy during the window (top's %CPU / 100).</summary>
    private static void AddCpu(Figures figures, string who, double cpuSeconds, int jobs, double wallSeconds)
    {
        figures[$"cpu_ms_per_1k_jobs_{who}"] = cpuSeconds * 1000 / jobs * 1000;
        figures[$"cpu_cores_{who}"] = wallSeconds > 0 ? cpuSeconds / wallSeconds : 0;
    }
}
