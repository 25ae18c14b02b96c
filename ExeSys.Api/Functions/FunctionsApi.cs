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
            .WithSummary("The function modules each live worker has loaded, or failed to load and why")
            .WithDescription("One row per worker and module. status 'failed': the module serves nothing, and error says why. status 'loaded' with an error: " +
                "the module still serves its version and functions, but either its folder's newer files failed to load (the working version stays until the folder changes again), " +
                "or its folder is gone or empty (its functions are withdrawn once it has stayed so for ExeSys:Worker:ModuleRemoveGrace).");
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
