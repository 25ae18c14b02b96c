using System.Threading.RateLimiting;
using ExeSys.Api.SysCmd;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Security;

/// <summary>
/// Per-key limits with ASP.NET Core's rate limiter, all in this process's memory (no Redis call): a token bucket of
/// requests per minute, and a cap on the key's concurrent long-polls (<c>?wait=</c>). Each key's record may set its
/// own; the defaults are <see cref="AuthOptions"/>'s. Open mode is not limited, so the benchmark runs as before.
/// A refusal is 429 with Retry-After.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddExeSysRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                {
                    var caller = Caller.Of(http.User);
                    if (caller.IsOpen)
                    {
                        return RateLimitPartition.GetNoLimiter("open");
                    }

                    var perMinute = caller.RequestsPerMinute ?? Defaults(http).RequestsPerMinute;
                    return RateLimitPartition.GetTokenBucketLimiter("rate:" + caller.KeyId, _ => new TokenBucketRateLimiterOptions
                    {
                        // Bursts of up to ten seconds' worth; refilled every second, or one token at a time below one a second.
                        TokenLimit = Math.Max(1, perMinute / 6),
                        TokensPerPeriod = Math.Max(1, perMinute / 60),
                        ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
                }),
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                {
                    var caller = Caller.Of(http.User);
                    if (caller.IsOpen || !http.Request.Query.ContainsKey("wait"))
                    {
                        return RateLimitPartition.GetNoLimiter("no-wait");
                    }

                    var longPolls = caller.LongPolls ?? Defaults(http).LongPolls;
                    return RateLimitPartition.GetConcurrencyLimiter("wait:" + caller.KeyId, _ => new ConcurrencyLimiterOptions { PermitLimit = longPolls, QueueLimit = 0 });
                }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var detail = http.Request.Query.ContainsKey("wait")
                    ? $"This key holds as many long-polls (?wait=) as it may at once. Retry after {retryAfter} s, or poll without ?wait=."
                    : $"This key has made as many requests as it may for now. Retry after {retryAfter} s.";
                await JobResults.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", detail).ExecuteAsync(http);
            };
        });
        return services;
    }

    private static AuthOptions Defaults(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
}
