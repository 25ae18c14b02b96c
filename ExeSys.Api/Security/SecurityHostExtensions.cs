using ExeSys.Api.Hosting;
using Microsoft.AspNetCore.Authentication;

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

        services.AddExeSysRateLimits();
        services.AddExeSysBrowserSafety(auth, api);
        return builder;
    }

    public static WebApplication UseExeSysSecurity(this WebApplication app)
    {
        app.UseCors(BrowserSafety.CorsPolicy);
        app.UseAuthentication();
        app.UseAuthorization();
        // Open mode has no limits: its requests skip the limiter (and the leases it would take) altogether.
        app.UseWhen(http => !Caller.Of(http.User).IsOpen, limited => limited.UseRateLimiter());
        app.UseJsonOnlyWrites();
        return app;
    }
}
