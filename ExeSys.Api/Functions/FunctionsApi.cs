using ExeSys.Core.Registry;

namespace ExeSys.Api.Functions;

public static class FunctionsApi
{
    public static IEndpointRouteBuilder MapFunctions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/functions", ListFunctions)
            .WithTags("Functions")
            .WithName("ListFunctions")
            .WithSummary("List the functions that live workers offer")
            .WithDescription("Each function with the ids of the live workers that advertise it. A cmd not in this list gets 422.");
        app.MapGet("/modules", ListModules)
            .WithTags("Functions")
            .WithName("ListModules")
            .WithSummary("The function modules each live worker has loaded, or failed to load and why");
        app.MapGet("/runners", ListRunnersAsync)
            .WithTags("Functions")
            .WithName("ListRunners")
            .WithSummary("Every forever runner that a live worker holds");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<RunnerInfo>>> ListRunnersAsync(IProcessRegistry registry)
    {
        var workers = await registry.GetLiveAsync(ExeSys.Core.Registry.ProcessRole.Worker);
        return TypedResults.Ok<IReadOnlyList<RunnerInfo>>([.. workers
            .SelectMany(w => (w.Runners ?? []).Select(r => ExeSys.Core.Jobs.JobRef.Parse(r)).Select(j => new RunnerInfo(j.From, j.JobId, w.Id)))
            .OrderBy(r => r.From, StringComparer.Ordinal).ThenBy(r => r.JobId, StringComparer.Ordinal)]);
    }

    private static async Task<Ok<IReadOnlyList<ModuleInfo>>> ListModules(FunctionDirectory directory) =>
        TypedResults.Ok(await directory.ListModulesAsync());

    private static async Task<Ok<IReadOnlyList<FunctionInfo>>> ListFunctions(FunctionDirectory directory) =>
        TypedResults.Ok(await directory.ListAsync());
}
