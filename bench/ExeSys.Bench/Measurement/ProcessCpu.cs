using System.Diagnostics;
using System.Globalization;

namespace ExeSys.Bench.Measurement;

/// <summary>CPU time (user + system) of a local process, from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    /// <summary>Clock ticks per second of /proc's utime and stime (getconf CLK_TCK; 100 on every common Linux).</summary>
    public static int TicksPerSecond { get; } = ReadClockTicks();

    /// <returns>The process's CPU time so far, or null when it is gone or /proc is not there.</returns>
    public static TimeSpan? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and ')', so fields are counted from the last ')'.
        // After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / TicksPerSecond);
    }

    /// <summary>CPU time of the whole machine, busy and idle, from the first line of /proc/stat; null without /proc.</summary>
    public static (TimeSpan Busy, TimeSpan Idle)? ReadMachine()
    {
        string line;
        try
        {
            line = File.ReadLines("/proc/stat").First();
        }
        catch (IOException)
        {
            return null;
        }

        // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
        var ticks = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var idle = ticks[3] + ticks[4];
        var busy = ticks.Sum() - idle;
        return (TimeSpan.FromSeconds((double)busy / TicksPerSecond), TimeSpan.FromSeconds((double)idle / TicksPerSecond));
    }

    private static int ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            var text = getconf!.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
