using System.ComponentModel.DataAnnotations;

namespace ExeSys.Api.Hosting;

public sealed class ApiOptions
{
    public const string Section = "ExeSys:Api";

    /// <summary>Where the API listens; the seed's curl examples use http://127.0.0.1:5000.</summary>
    [Required(ErrorMessage = "ExeSys:Api:Urls must name at least one address, e.g. http://127.0.0.1:5000.")]
    public string Urls { get; set; } = "http://127.0.0.1:5000";

    /// <summary>The largest request body accepted, in bytes; larger ones get 413.</summary>
    [Range(1024, 256 * 1024 * 1024, ErrorMessage = "ExeSys:Api:MaxBodyBytes must be between 1 KiB and 256 MiB.")]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The longest <c>?wait=</c> a client may ask for.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "ExeSys:Api:MaxWait must be between 0 and 10 minutes.")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the API trusts its cached list of functions that live workers offer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00", ErrorMessage = "ExeSys:Api:FunctionCacheTtl must be between 50 ms and 5 minutes.")]
    public TimeSpan FunctionCacheTtl { get; set; } = TimeSpan.FromSeconds(2);
}
