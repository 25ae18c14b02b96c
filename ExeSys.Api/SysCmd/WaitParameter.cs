using ExeSys.Core.Text;

namespace ExeSys.Api.SysCmd;

/// <summary>Parses <c>?wait=</c>: <c>5s</c>, <c>500ms</c>, <c>1m</c>, or a plain number of seconds.</summary>
public static class WaitParameter
{
    // Large enough for any sane input, small enough that TimeSpan arithmetic cannot overflow.
    private static readonly TimeSpan Unbounded = TimeSpan.FromDays(36500);

    public static bool TryParse(string? text, TimeSpan max, out TimeSpan wait, out string? error)
    {
        wait = TimeSpan.Zero;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DurationText.TryParse(text, Unbounded, out wait) && wait <= max)
        {
            return true;
        }

        error = DurationText.TryParse(text, Unbounded, out _)
            ? $"'wait' may be at most {max.TotalSeconds:0.###}s (ExeSys:Api:MaxWait); got '{text}'."
            : $"'wait' must be a duration such as 5s, 500ms or 1m; got '{text}'.";
        return false;
    }
}
