using ExeSys.Core.Resilience;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ExeSys.Api.Errors;

/// <summary>
/// Maps failures the client can do something about to ProblemDetails: Redis unreachable, full (OOM), read-only or
/// short of replicas is 503 with Retry-After (the command was not accepted; send it again), MongoDB unreachable while reading a job that has left Redis is 503
/// too, and a malformed HTTP request is its 4xx. Anything else, including a timeout that is neither Redis's nor
/// MongoDB's, stays a 500: it is a fault of ExeSys, and retrying would not help the client.
/// </summary>
public sealed class RedisUnavailableHandler(IProblemDetailsService problems, ILogger<RedisUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        int status;
        string title, detail;
        switch (exception)
        {
            case BadHttpRequestException bad:
                status = bad.StatusCode;
                title = "Bad request";
                detail = bad.Message;
                break;
            case var _ when RedisFaults.IsTransient(exception):
                status = StatusCodes.Status503ServiceUnavailable;
                title = "Job store unavailable";
                (detail, var retryAfter) = RedisDetail(exception);
                httpContext.Response.Headers.RetryAfter = retryAfter;
                logger.LogWarning("Answered 503: Redis cannot carry out commands ({Error}).", exception.Message);
                break;
            case var _ when FromMongoDb(exception):
                status = StatusCodes.Status503ServiceUnavailable;
                title = "Job history unavailable";
                detail = "The job has left Redis for the MongoDB history, and ExeSys cannot reach MongoDB right now. Retry shortly; nothing was changed.";
                httpContext.Response.Headers.RetryAfter = "1";
                logger.LogWarning("Answered 503: MongoDB is unreachable ({Error}).", exception.Message);
                break;
            default:
                return false;
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private const string NotCarriedOut = "so the request was not carried out. Retry shortly; re-sending a command never runs it twice.";

    /// <summary>
    /// Why Redis refused, in words an operator can act on, and the Retry-After in seconds. A full Redis or a replica
    /// does not pass in a second: those ask the client to wait longer.
    /// </summary>
    private static (string Detail, string RetryAfter) RedisDetail(Exception exception)
    {
        var reply = exception.Message;
        if (RedisFaults.IsOutOfMemory(exception))
        {
            return ($"Redis is full (used memory is above its maxmemory), {NotCarriedOut}", "5");
        }

        if (reply.StartsWith("READONLY", StringComparison.Ordinal))
        {
            return ($"Redis is a read-only replica (a failover, or ExeSys:Redis:Connection names a replica), {NotCarriedOut}", "5");
        }

        if (reply.StartsWith("NOREPLICAS", StringComparison.Ordinal) || reply.StartsWith("MASTERDOWN", StringComparison.Ordinal))
        {
            return ($"Redis has too few replicas in sync, or has lost its primary ({reply.Split(' ')[0]}), {NotCarriedOut}", "5");
        }

        return ($"ExeSys cannot reach Redis right now, {NotCarriedOut}", "1");
    }

    /// <summary>
    /// A failure of the MongoDB history. A <see cref="MongoDB.Driver.MongoException"/> is one by its type. The driver's
    /// server-selection timeout ("A timeout occurred after …ms selecting a server"), which is what an unreachable MongoDB
    /// gives, is a plain <see cref="TimeoutException"/>, so it is recognised by where it was thrown: the method that threw
    /// it (<see cref="Exception.TargetSite"/>, kept across the awaits that carry it here) belongs to the driver's own
    /// assembly. The throw site, not the stack: a stack can pass through the driver without the driver having thrown.
    /// Any other <see cref="TimeoutException"/> (a <c>Task.WaitAsync</c> of ExeSys's own, say) is not MongoDB's.
    /// </summary>
    internal static bool FromMongoDb(Exception exception) =>
        exception is MongoDB.Driver.MongoException ||
        (exception is TimeoutException && exception.TargetSite?.DeclaringType?.Assembly == typeof(MongoDB.Driver.MongoException).Assembly);
}
