using System.Security.Cryptography;
using System.Text;

namespace ExeSys.Core.Auth;

/// <summary>
/// An API key's text: <c>exs_&lt;id&gt;_&lt;secret&gt;</c>, the id (12 hex) to find its record without a scan, the
/// secret 32 random bytes (base64url). Only the SHA-256 of the whole text is stored, compared in constant time.
/// </summary>
public static class ApiKeySecret
{
    public const string Prefix = "exs_";

    /// <summary>The longest key text looked at; anything longer is not a key (and is not hashed).</summary>
    public const int MaxLength = 128;

    public static (string Id, string Key) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>The id part of a key text, or null when the text does not have the key's shape.</summary>
    public static string? IdOf(ReadOnlySpan<char> key)
    {
        if (key.Length > MaxLength || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = key[Prefix.Length..];
        var underscore = rest.IndexOf('_');
        if (underscore != 12 || rest.Length == underscore + 1)
        {
            return null;
        }

        var id = rest[..underscore];
        foreach (var c in id)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return null;
            }
        }

        return id.ToString();
    }

    public static byte[] Hash(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxLength)];
        var length = Encoding.UTF8.GetBytes(key[..Math.Min(key.Length, MaxLength)], utf8);
        return SHA256.HashData(utf8[..length]);
    }

    public static string HashHex(string key) => Convert.ToHexStringLower(Hash(key));

    /// <summary>Whether <paramref name="key"/> hashes to <paramref name="expectedHash"/>, in time independent of where they differ.</summary>
    public static bool Matches(ReadOnlySpan<char> key, ReadOnlySpan<byte> expectedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(key), expectedHash);
}
