using ExeSys.Api.Errors;
using ExeSys.Api.Functions;
using ExeSys.Api.Health;
using ExeSys.Api.OpenApi;
using ExeSys.Api.SysCmd;
using ExeSys.Api.Workflows;
using ExeSys.Core.Hosting;

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
        services.AddSingleton<FunctionDirectory>();
        services.AddSingleton<CompletionWaiter>();
        services.AddHostedService(sp => sp.GetRequiredService<CompletionWaiter>());
        services.AddSingleton<WorkflowDefinitionCatalog>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkflowDefinitionCatalog>());
        services.AddExeSysSwagger();
        return builder;
    }

    public static WebApplication MapExeSysApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseExeSysSwagger();
        app.MapSysCmd();
        app.MapWorkflows();
        app.MapFunctions();
        app.MapHealth();
        app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription();
        return app;
    }
}
