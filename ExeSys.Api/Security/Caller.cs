using System.Security.Claims;
using ExeSys.Core.Auth;

namespace ExeSys.Api.Security;

/// <summary>
/// Who is calling, as the authentication handler found it: the key's name (for the audit log), its tenant and the
/// <c>from</c> patterns it may use. Handlers take it as a parameter to qualify ids for the tenant; they never decide
/// access with it (the groups' policies do).
/// </summary>
public sealed class Caller
{
    /// <summary>Everyone, when no key is configured on a loopback address (open mode): the default tenant, every scope.</summary>
    public static readonly Caller Open = new("open", "open", TenantIds.DefaultTenant, ["*"], isAdmin: true, isOpen: true, null, null);

    /// <summary>A request without a usable key while keys are required: it reaches only the anonymous endpoints, and sees no internals there.</summary>
    public static readonly Caller Anonymous = new("anonymous", "anonymous", TenantIds.DefaultTenant, [], isAdmin: false, isOpen: false, null, null);

    public Caller(string keyId, string name, string tenant, IReadOnlyList<string> from, bool isAdmin, bool isOpen, int? requestsPerMinute, int? longPolls)
    {
        KeyId = keyId;
        Name = name;
        Tenant = tenant;
        From = from;
        IsAdmin = isAdmin;
        IsOpen = isOpen;
        RequestsPerMinute = requestsPerMinute;
        LongPolls = longPolls;
    }

    public string KeyId { get; }

    public string Name { get; }

    public string Tenant { get; }

    public IReadOnlyList<string> From { get; }

    public bool IsAdmin { get; }

    public bool IsOpen { get; }

    public int? RequestsPerMinute { get; }

    public int? LongPolls { get; }

    /// <summary>Whether worker hosts, pids, health details and module errors may be shown: admin keys of the default tenant, and open mode.</summary>
    public bool SeesInternals => IsAdmin && TenantIds.IsDefault(Tenant);

    /// <summary>
    /// The operator: an admin key of the default tenant (or open mode). It manages every tenant's keys and the queues,
    /// which all tenants share; another tenant's admin key manages its own tenant's keys and definitions only.
    /// </summary>
    public bool IsOperator => SeesInternals;

    /// <summary>A client-written id (job_id, event or definition name) as stored for this caller's tenant.</summary>
    public string Qualify(string id) => TenantIds.Qualify(Tenant, id);

    public bool Owns(string storedId) => TenantIds.Belongs(Tenant, storedId);

    /// <summary>Whether this key may submit as <paramref name="from"/>: one of its patterns (<c>*</c> any run of characters, <c>?</c> one) matches.</summary>
    public bool MayUse(string from) => From.Any(p => Glob(p, from));

    /// <summary>Parameter binding for minimal API handlers.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) => ValueTask.FromResult<Caller?>(Of(context.User));

    /// <summary>The caller the authentication handler found (open mode included), else <see cref="Anonymous"/>: never more than that.</summary>
    public static Caller Of(ClaimsPrincipal user) => user.Identity is ApiKeyIdentity identity ? identity.Caller : Anonymous;

    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

/// <summary>The identity of a request made with an API key (or in open mode), carrying its <see cref="Caller"/>.</summary>
public sealed class ApiKeyIdentity(Caller caller, IEnumerable<Claim> claims) : ClaimsIdentity(claims, ApiKeyAuthentication.Scheme, ClaimTypes.Name, null)
{
    public Caller Caller { get; } = caller;
}
