using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Observability.Metrics;

/// <summary>ExeSys:Metrics: where each process exposes its metrics, and how many label values they may carry.</summary>
public sealed partial class MetricsOptions : IValidatableObject
{
    public const string Section = "ExeSys:Metrics";

    /// <summary>
    /// false: no exporter in this process (not even the API's <c>/metrics</c>, which then answers 404); its instruments
    /// record into nothing. For an A/B of the metrics' cost, or a deployment that wants none.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The worker's and the controller's Prometheus port: they serve <c>GET /metrics</c> on it. 0 (the default) = no
    /// listener. The API ignores it: its <c>/metrics</c> is on its own address, behind the operator's key.
    /// </summary>
    [Range(0, 65535, ErrorMessage = "ExeSys:Metrics:Port must be 0 (off) or a TCP port 1..65535.")]
    public int Port { get; set; }

    /// <summary>The address the worker's and the controller's listener binds: <c>localhost</c>, or <c>*</c> for every interface.</summary>
    [RegularExpression(@"^(\*|\+|[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]+\])$", ErrorMessage = "ExeSys:Metrics:Host must be a host name, an IP address, or * for every interface.")]
    public string Host { get; set; } = "localhost";

    /// <summary>The most distinct values one label (function, queue) takes in one process; later values count as <c>_other</c>.</summary>
    [Range(1, 10_000, ErrorMessage = "ExeSys:Metrics:MaxLabelValues must be 1..10000.")]
    public int MaxLabelValues { get; set; } = 100;

    /// <summary>How often the gauges read from Redis (queue depths, archive backlog, round trip) are read again: a bounded cost per minute, never per job.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "ExeSys:Metrics:RefreshInterval must be between 1 second and 1 hour.")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An OTLP endpoint (e.g. http://collector:4317) to push metrics to; empty (the default) = no OTLP export.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>How often metrics are pushed to <see cref="OtlpEndpoint"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "ExeSys:Metrics:OtlpInterval must be between 1 second and 1 hour.")]
    public TimeSpan OtlpInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// More meters to export, by name (a trailing <c>*</c> matches a prefix), on top of ExeSys's own, the runtime's and
    /// ASP.NET Core's hosting and Kestrel meters: e.g. <c>Microsoft.AspNetCore.Routing</c>,
    /// <c>Microsoft.AspNetCore.Authentication</c>, <c>Microsoft.AspNetCore.Authorization</c> or
    /// <c>Microsoft.AspNetCore.MemoryPool</c>, which record on every request or buffer and are left out by default for
    /// their cost, or a function module's own meter.
    /// </summary>
    public string[] ExtraMeters { get; set; } = [];

    /// <summary>Whether a Prometheus listener is asked for (worker and controller).</summary>
    public bool Listens => Enabled && Port > 0;

    /// <summary>Whether metrics are pushed over OTLP.</summary>
    public bool Pushes => Enabled && OtlpEndpoint.Length > 0;

    /// <summary>The options as the configuration holds them (before the host is built, to decide what to register).</summary>
    public static MetricsOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        Microsoft.Extensions.Configuration.ConfigurationBinder.Get<MetricsOptions>(configuration.GetSection(Section)) ?? new MetricsOptions();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Pushes && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"ExeSys:Metrics:OtlpEndpoint: '{OtlpEndpoint}' is not an http(s) URL, e.g. http://collector:4317.", [nameof(OtlpEndpoint)]);
        }

        foreach (var (meter, i) in ExtraMeters.Select((m, i) => (m, i)).Where(x => !MeterName().IsMatch(x.m ?? "")))
        {
            yield return new ValidationResult($"ExeSys:Metrics:ExtraMeters:{i}: '{meter}' is not a meter name (letters, digits, '.', '_' and '-', with an optional trailing '*'), e.g. Microsoft.AspNetCore.Routing.", [nameof(ExtraMeters)]);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._\-]*\*?$")]
    private static partial System.Text.RegularExpressions.Regex MeterName();
}
