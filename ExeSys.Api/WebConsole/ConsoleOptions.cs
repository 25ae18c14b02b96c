using System.ComponentModel.DataAnnotations;

namespace ExeSys.Api.WebConsole;

/// <summary>The web console at <c>/console</c> (section <c>ExeSys:Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "ExeSys:Console";

    /// <summary>Serve the console at all. Its pages hold no data; every list and action is an API call with the session's key.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a console login lasts. The session ends sooner when its key is revoked, on every API process.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);
}
