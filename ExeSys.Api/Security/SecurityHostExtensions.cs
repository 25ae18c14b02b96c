using ExeSys.Api.Hosting;
using ExeSys.Api.SysCmd;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace ExeSys.Api.Security;

public static class SecurityHostExtensions
{
    /// <summary>API keys (handler and in-memory table), a policy per scope, per-key rate limits, CORS and host filtering, the audit trail.</summary>
    public static WebApplicationBuilder AddExeSysSecurity(this WebApplicationBuilder builder, ApiOptions api)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton<ApiKeyTable>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyTable>());
        services.AddSingleton<KeyAdmin>();
        services.AddSingleton<AuditTrail>();
        services.AddAuthentication(ApiKeyAuthentication.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthentication.Scheme, null);
        var policies = services.AddAuthorizationBuilder();
        foreach (var scope in Scopes.All)
        {
            // No AddAuthenticationSchemes: the default scheme has already authenticated the request once, and naming
            // it again would authenticate and merge the principal a second time on every request.
            policies.AddPolicy(scope, p => p.RequireClaim(Scopes.ClaimType, scope));
        }

        services.AddSingleton<RateLimits>();
        services.AddExeSysBrowserSafety(auth, api);
        return builder;
    }

    public static WebApplication UseExeSysSecurity(this WebApplication app)
    {
        app.UseCors(BrowserSafety.CorsPolicy);
        app.UseUnreadKeyTableRefusal(app.Services.GetRequiredService<ApiKeyTable>());
        app.UseAuthentication();
        app.UseAuthorization();
        var limits = app.Services.GetRequiredService<RateLimits>();
        app.Use(limits.InvokeAsync);
        app.UseJsonOnlyWrites();
        return app;
    }

    /// <summary>
    /// Until the key table has been read once (Redis away at start), whether keys exist is unknown: a loopback API
    /// would otherwise run open for a moment after Redis comes back although keys exist. Every endpoint but the
    /// anonymous ones answers 503 with Retry-After meanwhile, and asks for a reading.
    /// </summary>
    private static void UseUnreadKeyTableRefusal(this WebApplication app, ApiKeyTable keys) => app.Use(async (http, next) =>
    {
        if (!keys.Current.Loaded && http.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null)
        {
            keys.RequestReload();
            http.Response.Headers.RetryAfter = "1";
            await JobResults.Problem(StatusCodes.Status503ServiceUnavailable, "API keys not read yet",
                "This API process has not read its API key table from Redis yet (Redis was away when it started), so it cannot tell who may call it. Retry shortly.").ExecuteAsync(http);
            return;
        }

        await next(http);
    });
}
