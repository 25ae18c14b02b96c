using System.Collections.Concurrent;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Limits;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Security;

/// <summary>
/// Per-key limits, all in this process's memory (no Redis call): a token bucket of requests per minute, and a cap on
/// the key's concurrent long-polls (<c>?wait=</c>). Each key's record may set its own; the defaults are
/// <see cref="AuthOptions"/>'s. A refusal is 429 with Retry-After. Open mode is not limited, so the benchmark runs as
/// before.
/// <para>
/// Both are lock-free (<see cref="KeyLimiters"/>). ASP.NET Core's rate limiter (its middleware with two chained
/// partitioned limiters, and System.Threading.RateLimiting's token bucket and concurrency limiter on their own) takes
/// locks that every request of a key contends for: on a 2-core machine that cost the API 31 to 48% more CPU per request
/// with a key than without (bench/run.sh noop: 299 and 311 against 229 and 210 ms per 1,000 jobs).
/// </para>
/// </summary>
public sealed class RateLimits(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, KeyLimiters> _byKey = new(StringComparer.Ordinal);

    /// <summary>
    /// A key's limits, made with the limits they enforce (a change of the key's limits makes new ones): the request rate
    /// as a lock-free token bucket (<see cref="LocalTokenBucket"/>: one emission interval, a minute / requests per
    /// minute, per request, and bursts of ten seconds' worth), and the long-polls as a counter.
    /// </summary>
    private sealed class KeyLimiters
    {
        private readonly LocalTokenBucket _rate;
        private int _waits;

        public KeyLimiters(int perMinute, int longPolls, long frequency)
        {
            PerMinute = perMinute;
            LongPolls = longPolls;
            var interval = Math.Max(1, 60 * frequency / perMinute);
            _rate = new LocalTokenBucket(interval, interval * Math.Max(1, perMinute / 6));
        }

        public int PerMinute { get; }

        public int LongPolls { get; }

        /// <summary>Takes one request's token; else how long until one is free.</summary>
        public bool TryRequest(long now, out long waitTicks) => _rate.TryTake(now, out waitTicks);

        public bool TryEnterWait()
        {
            if (Interlocked.Increment(ref _waits) <= LongPolls)
            {
                return true;
            }

            Interlocked.Decrement(ref _waits);
            return false;
        }

        public void ExitWait() => Interlocked.Decrement(ref _waits);
    }

    private KeyLimiters For(Caller caller)
    {
        var perMinute = caller.RequestsPerMinute ?? options.Value.RequestsPerMinute;
        var longPolls = caller.LongPolls ?? options.Value.LongPolls;
        if (_byKey.TryGetValue(caller.KeyId, out var limiters) && limiters.PerMinute == perMinute && limiters.LongPolls == longPolls)
        {
            return limiters;
        }

        // First use of the key, or its limits changed: new limits. One that a concurrent request made first wins.
        var fresh = new KeyLimiters(perMinute, longPolls, time.TimestampFrequency);
        return _byKey.AddOrUpdate(caller.KeyId, fresh, (_, old) => old.PerMinute == perMinute && old.LongPolls == longPolls ? old : fresh);
    }

    /// <summary>429 with Retry-After past a key's request rate or its long-polls; open mode is not counted.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var caller = Caller.Of(http.User);
        if (caller.IsOpen)
        {
            await next(http);
            return;
        }

        var limiters = For(caller);
        if (!limiters.TryRequest(time.GetTimestamp(), out var waitTicks))
        {
            await RejectAsync(http, (int)Math.Ceiling((double)waitTicks / time.TimestampFrequency), longPoll: false);
            return;
        }

        if (!http.Request.Query.ContainsKey("wait"))
        {
            await next(http);
            return;
        }

        if (!limiters.TryEnterWait())
        {
            await RejectAsync(http, 1, longPoll: true);
            return;
        }

        try
        {
            await next(http);
        }
        finally
        {
            limiters.ExitWait();
        }
    }

    private static async Task RejectAsync(HttpContext http, int retryAfterSeconds, bool longPoll)
    {
        var retryAfter = Math.Max(1, retryAfterSeconds);
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var detail = longPoll
            ? $"This key holds as many long-polls (?wait=) as it may at once. Retry after {retryAfter} s, or poll without ?wait=."
            : $"This key has made as many requests as it may for now. Retry after {retryAfter} s.";
        await JobResults.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", detail).ExecuteAsync(http);
    }
}
