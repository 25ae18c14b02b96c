using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Configuration;

public sealed class RedisOptions : IValidatableObject
{
    public const string Section = "ExeSys:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</summary>
    [Required(ErrorMessage = "ExeSys:Redis:Connection must name the Redis server, e.g. 127.0.0.1:6379.")]
    public string Connection { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every ExeSys key. No ':', braces or whitespace, so it cannot change key structure or hash tags.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,32}$", ErrorMessage = "ExeSys:Redis:KeyPrefix must be 1-32 of A-Z a-z 0-9 _ . -")]
    public string KeyPrefix { get; set; } = "exesys";

    /// <summary>
    /// On a single Redis (not a cluster), some scripts take keys of two hash slots to save round trips: a lone submit
    /// writes the job and enqueues it (or starts it for an idle worker) in one script, a claim starts the jobs it takes,
    /// and a cancelled run goes onto the archive backlog in the cancel script. False keeps every script to one slot, as
    /// on a cluster: for a proxy that shards keys by slot. On Redis Cluster scripts always keep to one slot.
    /// </summary>
    public bool CombineSlots { get; set; } = true;

    /// <summary>
    /// Run even when Redis's maxmemory-policy evicts keys (anything but noeviction). Off: every process refuses to
    /// start, and stops, on such a Redis, since eviction silently drops jobs, queue entries, leases and tombstones.
    /// On: it runs, with a loud warning at every connection.
    /// </summary>
    public bool AllowEviction { get; set; }

    /// <summary>
    /// The Redis ACL user (Redis 6+), e.g. from <c>ExeSys__Redis__User</c>. Empty: the default user (with
    /// <see cref="Password"/>, the classic <c>requirepass</c>). Overrides a <c>user=</c> in <see cref="Connection"/>.
    /// </summary>
    public string? User { get; set; }

    /// <summary>
    /// The password of <see cref="User"/> (or of <c>requirepass</c>). A secret: give it by environment variable
    /// (<c>ExeSys__Redis__Password</c>), never in appsettings.json. It is never logged. Overrides a <c>password=</c> in
    /// <see cref="Connection"/>.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>Connect over TLS (as <c>ssl=true</c> in <see cref="Connection"/>).</summary>
    public bool Tls { get; set; }

    /// <summary>
    /// A PEM file with the CA certificate that issued Redis's server certificate, when it is not in the system's trust
    /// store. Only a server certificate issued by this CA (and naming the host) is accepted.
    /// </summary>
    public string? TlsCaFile { get; set; }

    /// <summary>The host name the server certificate must name, when it differs from the host in <see cref="Connection"/>.</summary>
    public string? TlsHost { get; set; }

    /// <summary>A PEM client certificate, for a Redis that requires one (<c>tls-auth-clients yes</c>); with <see cref="TlsClientKeyFile"/>.</summary>
    public string? TlsClientCertFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsClientCertFile"/>.</summary>
    public string? TlsClientKeyFile { get; set; }

    /// <summary>How long to wait for a connection, in milliseconds.</summary>
    [Range(100, 60_000, ErrorMessage = "ExeSys:Redis:ConnectTimeoutMs must be 100..60000.")]
    public int ConnectTimeoutMs { get; set; } = 2000;

    /// <summary>How long one command may take before it fails, in milliseconds. Keeps the API from hanging when Redis is gone.</summary>
    [Range(100, 60_000, ErrorMessage = "ExeSys:Redis:OperationTimeoutMs must be 100..60000.")]
    public int OperationTimeoutMs { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Tls && (TlsCaFile ?? TlsHost ?? TlsClientCertFile ?? TlsClientKeyFile) is { Length: > 0 })
        {
            yield return new ValidationResult(
                "ExeSys:Redis:Tls must be true when a TLS setting (TlsCaFile, TlsHost, TlsClientCertFile, TlsClientKeyFile) is given.", [nameof(Tls)]);
        }

        if (string.IsNullOrEmpty(TlsClientCertFile) != string.IsNullOrEmpty(TlsClientKeyFile))
        {
            yield return new ValidationResult(
                "ExeSys:Redis:TlsClientCertFile and ExeSys:Redis:TlsClientKeyFile go together: give both, or neither.", [nameof(TlsClientCertFile)]);
        }

        foreach (var (name, path) in new[] { (nameof(TlsCaFile), TlsCaFile), (nameof(TlsClientCertFile), TlsClientCertFile), (nameof(TlsClientKeyFile), TlsClientKeyFile) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                yield return new ValidationResult($"ExeSys:Redis:{name} names {path}, which is not a readable file.", [name]);
            }
        }

        if (!string.IsNullOrEmpty(User) && string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult(
                "ExeSys:Redis:User needs ExeSys:Redis:Password (give it by environment variable: ExeSys__Redis__Password).", [nameof(Password)]);
        }
    }
}
