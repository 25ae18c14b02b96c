using System.Globalization;

namespace ExeSys.Api.SysCmd;

/// <summary>Parses <c>?wait=</c>: <c>5s</c>, <c>500ms</c>, <c>1m</c>, or a plain number of seconds.</summary>
public static class WaitParameter
{
    public static bool TryParse(string? text, TimeSpan max, out TimeSpan wait, out string? error)
    {
        wait = TimeSpan.Zero;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        text = text.Trim();
        var (number, unitSeconds) =
            text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            error = $"'wait' must be a duration such as 5s, 500ms or 1m; got '{text}'.";
            return false;
        }

        var seconds = value * unitSeconds;
        if (seconds > max.TotalSeconds)
        {
            error = $"'wait' may be at most {max.TotalSeconds:0.###}s (ExeSys:Api:MaxWait); got {seconds:0.###}s.";
            return false;
        }

        wait = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
