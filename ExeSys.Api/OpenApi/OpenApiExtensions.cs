using ExeSys.Api.SysCmd;
using Microsoft.OpenApi;

namespace ExeSys.Api.OpenApi;

public static class OpenApiExtensions
{
    public static IServiceCollection AddExeSysSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(c =>
        {
            c.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "ExeSys",
                Version = "v1",
                Description = "Run functions from anywhere with one curl: POST a command to /sys_cmd, re-send it (or GET /jobs/{from}/{job_id}) to read its result.",
            });
            c.MapType<RawJson>(() => new OpenApiSchema { Description = "Any JSON value: the function's EOJ." });
            c.OperationFilter<SysCmdExamples>();
            c.AddSecurityDefinition(ScopeDocumentation.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An ExeSys API key (exs_...), as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. Not needed in open mode (loopback, no key configured).",
            });
            c.OperationFilter<ScopeDocumentation>();
            c.OperationFilter<Schedules.ScheduleExamples>();
            c.OperationFilter<Stats.StatsExamples>();
            c.OperationFilter<WebConsole.ConsoleExamples>();
            c.OperationFilter<WebConsole.ConsoleListsExamples>();
            var xml = Path.Combine(AppContext.BaseDirectory, "ExeSys.Api.xml");
            if (File.Exists(xml))
            {
                c.IncludeXmlComments(xml);
            }
        });
        return services;
    }

    /// <summary>
    /// The document and the UI, under /swagger only: every other request (every job) skips both middlewares, and the
    /// UI's static-file lookup with them.
    /// </summary>
    public static WebApplication UseExeSysSwagger(this WebApplication app)
    {
        // ExeSys:Api:Swagger decides when set. Unset: off in Production on any address that is not loopback only; on in
        // Development, and on loopback (./start_exe_sys.sh runs as Production on 127.0.0.1 and prints the Swagger URL).
        var urls = app.Configuration.GetValue<string>("ExeSys:Api:Urls") ?? new ExeSys.Api.Hosting.ApiOptions().Urls;
        var enabled = app.Configuration.GetValue<bool?>("ExeSys:Api:Swagger")
            ?? (!app.Environment.IsProduction() || ExeSys.Api.Security.ApiKeyTable.IsLoopbackOnly(urls));
        if (!enabled)
        {
            return app;
        }

        app.UseWhen(http => http.Request.Path.StartsWithSegments("/swagger", StringComparison.OrdinalIgnoreCase), swagger =>
        {
            swagger.UseSwagger();
            swagger.UseSwaggerUI(ui =>
            {
                ui.SwaggerEndpoint("/swagger/v1/swagger.json", "ExeSys v1");
                ui.DocumentTitle = "ExeSys API";
            });
        });
        return app;
    }
}
