using System.ComponentModel.DataAnnotations;

namespace ExeSys.Api.Security;

/// <summary>API keys, open mode, browser safety and per-key rate limits (section <c>ExeSys:Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "ExeSys:Auth";

    /// <summary>
    /// Keys are required even while none exists: the first API process to start then generates an admin key and
    /// prints it once to its log. Without it, auth is on as soon as one key exists (or <see cref="BootstrapKey"/> is set).
    /// </summary>
    public bool Required { get; set; }

    /// <summary>
    /// An admin key given by the operator (set it as the environment variable ExeSys__Auth__BootstrapKey, never in
    /// appsettings.json). It lives in the process's memory only, not in Redis; remove the variable to retire it.
    /// </summary>
    [MinLength(32, ErrorMessage = "ExeSys:Auth:BootstrapKey must be at least 32 characters of random text (e.g. openssl rand -base64 32).")]
    [MaxLength(128, ErrorMessage = "ExeSys:Auth:BootstrapKey must be at most 128 characters.")]
    public string? BootstrapKey { get; set; }

    /// <summary>Run open (no keys) even when bound to a non-loopback address. The log warns about it.</summary>
    public bool AllowOpen { get; set; }

    /// <summary>How often each API process compares its copy of the key table with Redis's version (a publish reloads it at once; this is the safety net).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "ExeSys:Auth:RefreshInterval must be between 100 ms and 1 minute.")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Origins allowed to call the API from a browser (CORS), separated by ';'. Empty: no cross-origin request is allowed.</summary>
    public string CorsOrigins { get; set; } = "";

    /// <summary>Requests a key may make per minute, unless its record says otherwise (open mode has no limit).</summary>
    [Range(1, 100_000_000, ErrorMessage = "ExeSys:Auth:RequestsPerMinute must be between 1 and 100000000.")]
    public int RequestsPerMinute { get; set; } = 600_000;

    /// <summary>Long-polls (<c>?wait=</c>) a key may hold open at once, unless its record says otherwise.</summary>
    [Range(1, 1_000_000, ErrorMessage = "ExeSys:Auth:LongPolls must be between 1 and 1000000.")]
    public int LongPolls { get; set; } = 1000;
}
