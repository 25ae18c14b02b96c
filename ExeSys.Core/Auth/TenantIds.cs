namespace ExeSys.Core.Auth;

/// <summary>
/// How a tenant's identifiers live in Redis. The default tenant keeps today's layout exactly; any other tenant's
/// job_id, event name and definition name are qualified as <c>&lt;tenant&gt;~&lt;id&gt;</c>. '~' is outside the
/// identifier character set (<see cref="Jobs.JobIdentifiers"/>), so no client can write a qualified id itself, and a
/// qualified job_id puts every key of the job, its run and its steps under a hash tag of the tenant's own: two tenants
/// that use the same job_id never share a key, and the Redis Cluster slot rule (<c>{job_id}</c>) holds unchanged.
/// </summary>
public static class TenantIds
{
    public const string DefaultTenant = "default";

    public const char Separator = '~';

    public static bool IsDefault(string tenant) => string.Equals(tenant, DefaultTenant, StringComparison.Ordinal);

    /// <summary>The id as stored for <paramref name="tenant"/>.</summary>
    public static string Qualify(string tenant, string id) => IsDefault(tenant) ? id : string.Concat(tenant, "~", id);

    /// <summary>The id as its client wrote it: whatever follows the qualification, if any.</summary>
    public static string Strip(string id)
    {
        var at = id.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? id : id[(at + 1)..];
    }

    /// <summary>The tenant a stored id belongs to.</summary>
    public static string TenantOf(string id)
    {
        var at = id.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? DefaultTenant : id[..at];
    }

    /// <summary>Whether a stored id belongs to <paramref name="tenant"/>.</summary>
    public static bool Belongs(string tenant, string id) => string.Equals(TenantOf(id), tenant, StringComparison.Ordinal);

    /// <summary>
    /// A name that a job of <paramref name="jobId"/> uses (an event it waits for), qualified with the job's own tenant,
    /// so a wait_event job hears only its tenant's events.
    /// </summary>
    public static string QualifyLike(string jobId, string name) => Qualify(TenantOf(jobId), name);
}
