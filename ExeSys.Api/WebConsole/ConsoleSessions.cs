using System.Security.Cryptography;
using System.Text;
using ExeSys.Api.Security;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.WebConsole;

/// <summary>
/// Console logins, with no session store: the session cookie is <c>v1.&lt;key id&gt;.&lt;expiry&gt;.&lt;nonce&gt;.&lt;mac&gt;</c>,
/// the MAC an HMAC-SHA256 keyed with the key's stored hash, which every API process already holds in its key table. So
/// any API process checks a session without a Redis call, a revoked or deleted key ends its sessions as soon as the
/// process's table has the change, and the browser never keeps the key itself. The nonce is also the CSRF token: the
/// page reads it from a second, script-readable cookie and sends it as <see cref="CsrfHeader"/> on every write, which a
/// page of another site can neither read nor forge (and SameSite=Strict keeps the cookies off its requests anyway).
/// </summary>
public sealed class ConsoleSessions(IOptions<ConsoleOptions> options, TimeProvider time)
{
    public const string SessionCookie = "exesys_session";
    public const string CsrfCookie = "exesys_csrf";
    public const string CsrfHeader = "X-CSRF-Token";
    private const string Version = "v1";

    public sealed record Issued(string Cookie, string Csrf, DateTimeOffset Expires);

    public Issued Issue(ApiKeyTable.Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var expires = time.GetUtcNow().Add(options.Value.SessionLifetime);
        var nonce = Base64Url(RandomNumberGenerator.GetBytes(18));
        var body = $"{Version}.{entry.Record.Id}.{expires.ToUnixTimeSeconds()}.{nonce}";
        return new Issued($"{body}.{Mac(entry.Hash, body)}", nonce, expires);
    }

    /// <summary>The key entry a session cookie stands for, with its CSRF nonce; or why it does not count.</summary>
    public (ApiKeyTable.Entry? Entry, string? Csrf, string? Failure) Check(string cookie, ApiKeyTable.Table table)
    {
        ArgumentNullException.ThrowIfNull(cookie);
        ArgumentNullException.ThrowIfNull(table);
        var parts = cookie.Split('.');
        if (parts.Length != 5 || parts[0] != Version || !long.TryParse(parts[2], out var expires))
        {
            return (null, null, "The console session cookie is malformed; log in again.");
        }

        var entry = table.FindById(parts[1]);
        var body = string.Join('.', parts[..4]);
        if (entry is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(entry.Hash, body)), Encoding.ASCII.GetBytes(parts[4])))
        {
            return (null, null, "The console session is not valid (its key is gone or changed); log in again.");
        }

        if (entry.Revoked)
        {
            return (null, null, "The console session's API key has been revoked.");
        }

        return time.GetUtcNow().ToUnixTimeSeconds() >= expires
            ? (null, null, "The console session has expired; log in again.")
            : (entry, parts[3], null);
    }

    /// <summary>Whether a write carries the session's CSRF token, compared in constant time.</summary>
    public static bool CsrfMatches(string? presented, string expected) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(expected));

    private static string Mac(byte[] keyHash, string body) =>
        Base64Url(HMACSHA256.HashData(keyHash, Encoding.ASCII.GetBytes("exesys-console|" + body)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
