using ExeSys.Core.Resilience;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ExeSys.Api.Errors;

/// <summary>
/// Maps failures the client can do something about to ProblemDetails: Redis unreachable is 503 with Retry-After
/// (the command was not accepted; send it again), a malformed HTTP request is its 4xx. Anything else stays a 500.
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
            case MongoDB.Driver.MongoException or TimeoutException:
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
}
