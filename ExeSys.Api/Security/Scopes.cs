using System.Security.Claims;

namespace ExeSys.Api.Security;

/// <summary>
/// What a key may do. Each endpoint group names one scope as its authorization policy (<c>RequireAuthorization</c>);
/// handlers never check keys. An admin key holds every scope.
/// </summary>
public static class Scopes
{
    public const string Submit = "submit";
    public const string Read = "read";
    public const string Operate = "operate";
    public const string Admin = "admin";

    public const string ClaimType = "exesys:scope";

    public static readonly string[] All = [Submit, Read, Operate, Admin];

    public static string Describe(string scope) => scope switch
    {
        Submit => "submit jobs and runs",
        Read => "read the tenant's jobs, runs, definitions, schedules, functions and queues",
        Operate => "stop, pause, resume and cancel, trigger schedules, and post events",
        Admin => "keys, definitions, schedules, queues; every other scope",
        _ => scope,
    };

    /// <summary>The scope claims a key's scopes grant (admin grants all).</summary>
    public static IEnumerable<Claim> ClaimsOf(IEnumerable<string> scopes)
    {
        var list = scopes.ToList();
        return (list.Contains(Admin) ? All : list.Distinct(StringComparer.Ordinal)).Select(s => new Claim(ClaimType, s));
    }
}
