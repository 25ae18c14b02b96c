using ExeSys.Api.Hosting;
using ExeSys.Api.SysCmd;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Security;

/// <summary>
/// What keeps a web page the operator visits from using a loopback ExeSys: every POST and PUT must say
/// <c>Content-Type: application/json</c>, even without a body (a page cannot send that cross-origin without a CORS
/// preflight, which is refused unless <see cref="AuthOptions.CorsOrigins"/> names its origin); host filtering (DNS
/// rebinding) allows only loopback names while the API listens on loopback only and AllowedHosts is left at '*'.
/// The API sets no cookies.
/// </summary>
public static class BrowserSafety
{
    public const string CorsPolicy = "ExeSys";

    public static IServiceCollection AddExeSysBrowserSafety(this IServiceCollection services, AuthOptions auth, ApiOptions api)
    {
        var origins = auth.CorsOrigins.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy =>
        {
            if (origins.Length > 0)
            {
                policy.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Location", "Retry-After");
            }
        }));
        if (ApiKeyTable.IsLoopbackOnly(api.Urls))
        {
            services.PostConfigure<HostFilteringOptions>(hosts =>
            {
                if (hosts.AllowedHosts is [] or ["*"])
                {
                    hosts.AllowedHosts = ["localhost", "127.0.0.1", "[::1]"];
                }
            });
        }

        return services;
    }

    /// <summary>415 for a POST or PUT that is not application/json (the endpoint never runs).</summary>
    public static IApplicationBuilder UseJsonOnlyWrites(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var method = http.Request.Method;
        if ((HttpMethods.IsPost(method) || HttpMethods.IsPut(method)) && !IsJson(http.Request.ContentType))
        {
            await JobResults.Problem(StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json",
                $"{method} {http.Request.Path} needs 'Content-Type: application/json', even without a body (it keeps web pages from sending it cross-origin); got '{http.Request.ContentType ?? "none"}'.",
                ("field", "Content-Type")).ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

}
