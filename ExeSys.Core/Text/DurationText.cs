using System.Globalization;
using System.Text.Json;

namespace ExeSys.Core.Text;

/// <summary>Durations as people write them in a query string or a JSON file: <c>5s</c>, <c>500ms</c>, <c>1m</c>, or a plain number of seconds.</summary>
public static class DurationText
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a duration, or is negative, or longer than <paramref name="max"/>.</summary>
    public static bool TryParse(string text, TimeSpan max, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        var (number, unitSeconds) =
            text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return false;
        }

        var seconds = value * unitSeconds;
        if (seconds > max.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>A JSON duration: a string as above, or a number of milliseconds.</summary>
    public static bool TryParse(JsonElement value, TimeSpan max, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (!value.TryGetDouble(out var ms) || ms < 0 || ms > max.TotalMilliseconds)
            {
                return false;
            }

            duration = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        return value.ValueKind == JsonValueKind.String && TryParse(value.GetString()!, max, out duration);
    }
}
