using System.Security.Claims;
using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.WebConsole;

/// <summary>A console login's request.</summary>
public sealed record ConsoleLogin([property: JsonPropertyName("key")] string? Key);

/// <summary>Who the console is logged in as: what the page may show (no action buttons without operate, etc.).</summary>
public sealed record ConsoleSessionReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("open")] bool Open,
    [property: JsonPropertyName("internals")] bool Internals,
    [property: JsonPropertyName("expires"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Expires)
{
    /// <summary>False before a login (or when the session no longer counts: <see cref="Reason"/> says why).</summary>
    [JsonPropertyName("authenticated")]
    public bool Authenticated { get; init; } = true;

    [JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}

/// <summary>
/// The web console: its static pages at <c>/console</c> (served from the API's output folder <c>console/</c>, no CDN),
/// the login that turns an API key into a session cookie, and the live feed. Everything the pages show comes from the
/// API's own endpoints, with the session's key, its scopes and its tenant.
/// </summary>
public static class ConsoleApi
{
    /// <summary>The pages' own policy: scripts, styles and data from this origin only, and never inside a frame.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static WebApplicationBuilder AddExeSysConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ConsoleSessions>();
        builder.Services.AddSingleton<ConsoleFeed>();
        return builder;
    }

    /// <summary>The static pages (before authentication: they hold no data). <c>/console</c> redirects to <c>/console/</c>.</summary>
    public static WebApplication UseExeSysConsoleFiles(this WebApplication app)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "console");
        if (!app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled || !Directory.Exists(folder))
        {
            return app;
        }

        var files = new PhysicalFileProvider(folder);
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = "/console", FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/console",
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        var anonymous = app.MapGroup("/console/api").WithTags("Console").AllowAnonymous();
        anonymous.MapPost("/session", LoginAsync)
            .WithName("ConsoleLogin")
            .WithSummary("Log the console in with an API key: sets the session cookie (HttpOnly, SameSite=Strict) and the CSRF cookie")
            .WithDescription("Body: {\"key\": \"exs_…\"}. The browser keeps no key: the session cookie is signed with the key's stored hash, so it ends when the key is revoked. Every write with the session must send the CSRF cookie's value in X-CSRF-Token.")
            .Produces<ConsoleSessionReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        anonymous.MapPost("/logout", Logout)
            .WithName("ConsoleLogout")
            .WithSummary("End the console session (clears its cookies)")
            .Produces(StatusCodes.Status204NoContent);

        anonymous.MapGet("/session", (Func<HttpContext, Task<Ok<ConsoleSessionReply>>>)GetSession)
            .WithName("ConsoleSession")
            .WithSummary("Who the console is logged in as: name, tenant and scopes (what it may show); authenticated false (200, not 401) before a login")
            .Produces<ConsoleSessionReply>();

        var read = app.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Scopes.Read);
        read.MapGet("/stream", StreamAsync)
            .WithName("ConsoleFeed")
            .WithSummary("Server-Sent Events: 'run' with the job_id of a run of the key's tenant that changed (a node started or ended, an operator acted)")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return app;
    }

    private static Results<Ok<ConsoleSessionReply>, ProblemHttpResult> LoginAsync(
        ConsoleLogin? login, HttpContext http, ApiKeyTable keys, ConsoleSessions sessions)
    {
        var table = keys.Current;
        if (!table.Enforced)
        {
            return TypedResults.Ok(Describe(Caller.Open, ApiKeyAuthenticationHandler.OpenPrincipal, null));
        }

        if (string.IsNullOrWhiteSpace(login?.Key))
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Key missing", "Send {\"key\": \"<your API key>\"}.", ("field", "key"));
        }

        var entry = table.Find(login.Key.Trim());
        if (entry is null || entry.Revoked)
        {
            return JobResults.Problem(StatusCodes.Status401Unauthorized, "Login refused", entry is null ? "The API key is not known." : "The API key has been revoked.");
        }

        var issued = sessions.Issue(entry);
        var secure = http.Request.IsHttps;
        http.Response.Cookies.Append(ConsoleSessions.SessionCookie, issued.Cookie, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = secure, Path = "/", IsEssential = true });
        http.Response.Cookies.Append(ConsoleSessions.CsrfCookie, issued.Csrf, new CookieOptions { HttpOnly = false, SameSite = SameSiteMode.Strict, Secure = secure, Path = "/", IsEssential = true });
        return TypedResults.Ok(Describe(entry.Identity.Caller, entry.Principal, issued.Expires));
    }

    private static NoContent Logout(HttpContext http)
    {
        http.Response.Cookies.Delete(ConsoleSessions.SessionCookie, new CookieOptions { Path = "/" });
        http.Response.Cookies.Delete(ConsoleSessions.CsrfCookie, new CookieOptions { Path = "/" });
        return TypedResults.NoContent();
    }

    /// <summary>Answers 200 either way, so a page that is not logged in yet logs no failed request in the browser.</summary>
    private static async Task<Ok<ConsoleSessionReply>> GetSession(HttpContext http)
    {
        var result = await http.AuthenticateAsync(ApiKeyAuthentication.Scheme);
        return TypedResults.Ok(result.Succeeded
            ? Describe(Caller.Of(result.Principal), result.Principal, null)
            : new ConsoleSessionReply("", "", "", [], false, false, null) { Authenticated = false, Reason = result.Failure?.Message });
    }

    private static async Task StreamAsync(HttpContext http, Caller caller, ConsoleFeed stream)
    {
        var aborted = http.RequestAborted;
        using var joined = await stream.JoinAsync(caller, aborted);
        var events = joined.Events;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync("retry: 2000\n: connected\n\n", aborted);
        await http.Response.Body.FlushAsync(aborted);
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                // A comment every 15 s keeps proxies from closing an idle stream.
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                beat.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    var jobId = await events.ReadAsync(beat.Token);
                    await http.Response.WriteAsync($"event: run\ndata: {System.Text.Json.JsonSerializer.Serialize(jobId, ApiJsonContext.Default.String)}\n\n", aborted);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": beat\n\n", aborted);
                }

                await http.Response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    private static ConsoleSessionReply Describe(Caller caller, ClaimsPrincipal user, DateTimeOffset? expires) => new(
        caller.Name,
        caller.KeyId,
        caller.Tenant,
        [.. user.FindAll(Security.Scopes.ClaimType).Select(c => c.Value).Distinct(StringComparer.Ordinal)],
        caller.IsOpen,
        caller.SeesInternals,
        expires);
}
