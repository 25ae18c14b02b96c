using System.Globalization;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// Runs a real process with its wall clock moved by an offset: Debian's faketime (libfaketime, preloaded through the
/// process's environment; ./test.sh installs it). The monotonic clock is left alone, so the process's timers and
/// durations run as usual: only the time of day is off, as on a machine whose clock is wrong.
/// </summary>
public static class SkewedClock
{
    /// <summary>These settings, for a process whose clock is <paramref name="offset"/> off the true time (negative: behind).</summary>
    public static TestSettings OffBy(this TestSettings settings, TimeSpan offset)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings
            .With("LD_PRELOAD", Library)
            .With("FAKETIME", ((long)offset.TotalSeconds).ToString("+0;-0", CultureInfo.InvariantCulture))
            .With("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }

    private static string Library =>
        Directory.EnumerateDirectories("/usr/lib")
            .Select(d => Path.Combine(d, "faketime", "libfaketime.so.1"))
            .Append("/usr/lib/faketime/libfaketime.so.1")
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("libfaketime is missing: apt-get install faketime (./test.sh does).");
}
