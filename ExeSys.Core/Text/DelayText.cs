using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace ExeSys.Core.Text;

/// <summary>
/// When a delayed job may start, and the other points in time and spans a schedule names: <c>run_at</c> as ISO 8601
/// with an offset (<c>2026-12-06T10:00:00Z</c>, <c>2026-12-06T11:00:00+01:00</c>: a time without an offset is
/// ambiguous and refused), <c>delay</c> as <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c> or ISO 8601
/// (<c>PT30S</c>, <c>P1DT2H</c>).
/// </summary>
public static partial class DelayText
{
    public const string DurationRule = "a duration such as \"500ms\", \"30s\", \"5m\", \"2h\", \"1d\" or ISO 8601 \"PT30S\"";

    public const string InstantRule = "an ISO 8601 date and time with an offset, such as \"2026-12-06T10:00:00Z\" or \"2026-12-06T11:00:00+01:00\"";

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>ms|s|m|h|d)$", RegexOptions.CultureInvariant)]
    private static partial Regex Short();

    [GeneratedRegex(@"T.*(Z|[+-]\d\d:?\d\d)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex WithOffset();

    /// <summary>A non-negative duration; false when <paramref name="text"/> is none.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text[0] == 'P')
        {
            try
            {
                duration = XmlConvert.ToTimeSpan(text);
                return duration >= TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        var match = Short().Match(text);
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        var ms = match.Groups["u"].Value switch
        {
            "ms" => n,
            "s" => n * 1000,
            "m" => n * 60_000,
            "h" => n * 3_600_000,
            _ => n * 86_400_000,
        };
        if (!double.IsFinite(ms) || ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>An ISO 8601 date and time that carries its offset; false for anything else.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant)
    {
        instant = default;
        return text is not null && WithOffset().IsMatch(text.Trim()) &&
            DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }
}
