using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Observability.Metrics;

namespace ExeSys.Api.Observability;

public static class MetricsApi
{
    /// <summary>
    /// <c>GET /metrics</c>: the API's metrics in Prometheus's text format. The operator's: an admin key of the default
    /// tenant (or open mode on loopback). The counts are of every tenant's functions and queues, so another tenant's
    /// admin key gets 403, as on /schedules.
    /// </summary>
    public static IEndpointRouteBuilder MapExeSysMetrics(this IEndpointRouteBuilder app)
    {
        if (!MetricsOptions.From(app.ServiceProvider.GetRequiredService<IConfiguration>()).Enabled)
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: pipeline => pipeline.Use(OperatorOnlyAsync), optionsName: null)
            .RequireAuthorization(Scopes.Admin)
            .WithDisplayName("Prometheus metrics")
            .ExcludeFromDescription();
        return app;
    }

    private static async Task OperatorOnlyAsync(HttpContext context, RequestDelegate next)
    {
        if (Caller.Of(context.User).IsOperator)
        {
            await next(context);
            return;
        }

        await JobResults.Problem(StatusCodes.Status403Forbidden, "Metrics are the operator's",
            "Only an admin key of the default tenant reads /metrics: its counts cover every tenant's functions and queues.").ExecuteAsync(context);
    }
}
