using ExeSys.Api.Errors;
using ExeSys.Api.Events;
using ExeSys.Api.Functions;
using ExeSys.Api.Health;
using ExeSys.Api.History;
using ExeSys.Api.Observability;
using ExeSys.Api.OpenApi;
using ExeSys.Api.Queues;
using ExeSys.Api.Schedules;
using ExeSys.Api.Security;
using ExeSys.Api.Stats;
using ExeSys.Api.SysCmd;
using ExeSys.Api.WebConsole;
using ExeSys.Api.Workflows;
using ExeSys.Core.Hosting;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Stats;

namespace ExeSys.Api.Hosting;

public static class ApiHostExtensions
{
    public static WebApplicationBuilder AddExeSysApi(this WebApplicationBuilder builder)
    {
        builder.AddExeSysCore();
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var api = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        builder.WebHost.UseUrls(api.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = api.MaxBodyBytes);

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        services.AddProblemDetails();
        services.AddExceptionHandler<RedisUnavailableHandler>();
        services.AddSingleton<SysCmdRequestReader>();
        services.AddSingleton<ScheduleRequestReader>();
        services.AddSingleton<FunctionDirectory>();
        services.AddSingleton<CompletionWaiter>();
        services.AddHostedService(sp => sp.GetRequiredService<CompletionWaiter>());
        services.AddHostedService<WorkflowDefinitionCatalog>();
        // New jobs accepted here are counted in memory and added to the minute statistics once per flush interval
        // (the console's overview charts them), as workers add their attempts: no Redis command per submit.
        services.AddSingleton<RunStatsRecorder>();
        services.AddHostedService<StatsFlushService>();
        services.AddExeSysSwagger();
        builder.AddExeSysSecurity(api);
        builder.AddExeSysConsole();
        builder.AddExeSysMetrics("ExeSys.Api", MetricsEndpoint.WebApp);
        return builder;
    }

    /// <summary>404 and 405 from routing, as ProblemDetails that say what to do.</summary>
    private static async Task WriteStatusProblemAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var where = $"{http.Request.Method} {http.Request.Path}";
        var detail = status switch
        {
            StatusCodes.Status404NotFound => $"There is nothing at {where}. Swagger UI at /swagger lists every endpoint.",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Path} does not take {http.Request.Method}. Swagger UI at /swagger lists the methods.",
            _ => null,
        };
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail },
        });
    }

    public static WebApplication MapExeSysApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(WriteStatusProblemAsync);
        app.UseExeSysSwagger();
        app.UseExeSysConsoleFiles();
        app.UseExeSysSecurity();
        app.MapSysCmd();
        app.MapJobActions();
        app.MapWorkflows();
        app.MapEvents();
        app.MapFunctions();
        app.MapQueues();
        app.MapSchedules();
        app.MapHistory();
        app.MapConsoleLists();
        app.MapStats();
        app.MapHealth();
        app.MapKeys();
        app.MapExeSysMetrics();
        app.MapConsole();
        app.MapConsoleOverview();
        app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
