using ExeSys.Core.Resilience;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ExeSys.Api.Errors;

/// <summary>
/// Maps failures the client can do something about to ProblemDetails: Redis unreachable is 503 with Retry-After
/// (the command was not accepted; send it again), MongoDB unreachable while reading a job that has left Redis is 503
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
                detail = "ExeSys cannot reach Redis right now, so the request was not carried out. Retry shortly; re-sending a command never runs it twice.";
                httpContext.Response.Headers.RetryAfter = "1";
                logger.LogWarning("Answered 503: Redis is unreachable ({Error}).", exception.Message);
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
