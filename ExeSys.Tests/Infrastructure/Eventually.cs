using System.Diagnostics;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// Waits for a condition with a deadline, instead of sleeping for a guessed time. The probe runs at once and then
/// every few milliseconds; on timeout the last observed value is in the message, so a failure says what was seen.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> isDone, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(isDone);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (isDone(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.###}s waiting for {what}. Last seen: {Describe(value)}");
            }

            await Task.Delay(PollInterval);
        }
    }

    public static Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        WaitForAsync(condition, done => done, timeout, what);

    public static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitForAsync(() => Task.FromResult(condition()), done => done, timeout, what);

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => $"[{string.Join(", ", items.Cast<object?>().Take(20))}]",
        _ => value.ToString() ?? "",
    };
}
