using System.Buffers;

namespace ExeSys.Core.Jobs;

/// <summary>
/// The character set allowed in <c>from</c>, <c>to</c>, <c>cmd</c> and <c>job_id</c>: the characters that are
/// safe in a Redis key, in a hash tag and in a URL path segment. Everything else (<c>:</c>, <c>*</c>, braces,
/// whitespace, control characters, slashes, quotes, non-ASCII) is refused, so no id can break or inject into a key name.
/// </summary>
public static class JobIdentifiers
{
    public const string AllowedDescription = "letters A-Z a-z, digits 0-9, '-', '_' and '.'";

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    /// <summary>Returns null when <paramref name="value"/> is a valid identifier, else a sentence saying what is wrong.</summary>
    public static string? Check(string field, string value, int maxLength)
    {
        if (value.Length == 0)
        {
            return $"'{field}' must not be empty.";
        }

        if (value.Length > maxLength)
        {
            return $"'{field}' is {value.Length} characters long; the limit is {maxLength}.";
        }

        var bad = value.AsSpan().IndexOfAnyExcept(Allowed);
        if (bad >= 0)
        {
            return $"'{field}' contains {Describe(value[bad])} at position {bad}; only {AllowedDescription} are allowed.";
        }

        return null;
    }

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) || c > 126 ? $"the character U+{(int)c:X4}" : $"the character '{c}'";
}
