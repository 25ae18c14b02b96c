using System.Security.Claims;
using System.Text.Encodings.Web;
using ExeSys.Api.WebConsole;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ExeSys.Api.Security;

public static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string HeaderName = "X-Api-Key";
}

/// <summary>
/// Finds the caller from <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>, against this process's copy of the
/// key table (<see cref="ApiKeyTable"/>): no Redis call. A key is never logged. In open mode everyone is
/// <see cref="Caller.Open"/>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyTable table, ConsoleSessions sessions, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Everyone in open mode (no keys): <see cref="Caller.Open"/> with every scope.</summary>
    internal static readonly ClaimsPrincipal OpenPrincipal = new(new ApiKeyIdentity(Caller.Open, Scopes.ClaimsOf([Scopes.Admin])));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var current = table.Current;
        if (!current.Enforced)
        {
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(OpenPrincipal, ApiKeyAuthentication.Scheme)));
        }

        var (presented, malformed) = Presented(Request.Headers);
        if (malformed is not null)
        {
            return Task.FromResult(AuthenticateResult.Fail(malformed));
        }

        if (presented is null)
        {
            return Task.FromResult(Request.Cookies[ConsoleSessions.SessionCookie] is { } session ? FromSession(session, current) : AuthenticateResult.NoResult());
        }

        var entry = current.Find(presented);
        if (entry is null || entry.Revoked)
        {
            return Task.FromResult(AuthenticateResult.Fail(entry is null ? "The API key is not known." : "The API key has been revoked."));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(entry.Principal, ApiKeyAuthentication.Scheme)));
    }

    /// <summary>
    /// A console session (only when no key header is sent): its key's identity, as if the key had been sent. A write
    /// (anything but GET, HEAD and OPTIONS) must also carry the session's CSRF token in its header.
    /// </summary>
    private AuthenticateResult FromSession(string cookie, ApiKeyTable.Table table)
    {
        var (entry, csrf, failure) = sessions.Check(cookie, table);
        if (entry is null)
        {
            return AuthenticateResult.Fail(failure!);
        }

        var method = Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method)
            && !ConsoleSessions.CsrfMatches(Request.Headers[ConsoleSessions.CsrfHeader].FirstOrDefault(), csrf!))
        {
            return AuthenticateResult.Fail($"A console write must carry the session's CSRF token in the {ConsoleSessions.CsrfHeader} header.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(entry.Principal, ApiKeyAuthentication.Scheme));
    }

    /// <summary>The key the request carries, or why its auth headers are not usable.</summary>
    internal static (string? Key, string? Malformed) Presented(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization;
        var apiKey = headers[ApiKeyAuthentication.HeaderName];
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            return (null, "Send one API key, in one header.");
        }

        string? bearer = null;
        if (authorization.Count == 1)
        {
            var value = authorization[0] ?? "";
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
            {
                return (null, "The Authorization header must be 'Bearer <key>'.");
            }

            bearer = value[7..].Trim();
        }

        var key = apiKey.Count == 1 ? apiKey[0]?.Trim() : null;
        if (bearer is not null && key is not null && !string.Equals(bearer, key, StringComparison.Ordinal))
        {
            return (null, "The Authorization and X-Api-Key headers name different keys.");
        }

        var presented = bearer ?? key;
        return presented is { Length: 0 } ? (null, "The API key is empty.") : (presented, null);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await Context.AuthenticateAsync(ApiKeyAuthentication.Scheme)).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"ExeSys\", X-Api-Key";
        await WriteAsync(StatusCodes.Status401Unauthorized, "API key required",
            failure ?? "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var scope = Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy ?? "?";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteAsync(StatusCodes.Status403Forbidden, "Scope missing", $"This key does not have the scope '{scope}' ({Scopes.Describe(scope)}) that {Request.Method} {Request.Path} needs.");
    }

    private async Task WriteAsync(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
}
