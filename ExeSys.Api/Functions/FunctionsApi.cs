using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Core.Registry;

namespace ExeSys.Api.Functions;

/// <summary>
/// What live workers offer. Worker ids (host and pid) and module load errors are shown to admin keys (and in open
/// mode) only; other keys see the functions and modules without them, and the runners of their own tenant.
/// </summary>
public static class FunctionsApi
{
    public static IEndpointRouteBuilder MapFunctions(this IEndpointRouteBuilder app)
    {
        var functions = app.MapGroup("").WithTags("Functions").RequireAuthorization(Scopes.Read);
        functions.MapGet("/functions", ListFunctions)
            .WithName("ListFunctions")
            .WithSummary("List the functions that live workers offer")
            .WithDescription("Each function with the ids of the live workers that advertise it (admin keys only). A cmd not in this list gets 422.");
        functions.MapGet("/modules", ListModules)
            .WithName("ListModules")
            .WithSummary("The function modules each live worker has loaded, or failed to load and why")
            .WithDescription("One row per worker and module. status 'failed': the module serves nothing, and error says why. status 'loaded' with an error: " +
                "the module still serves its version and functions, but either its folder's newer files failed to load (the working version stays until the folder changes again), " +
                "or its folder is gone or empty (its functions are withdrawn once it has stayed so for ExeSys:Worker:ModuleRemoveGrace). Worker ids and errors: admin keys only.");
        functions.MapGet("/runners", ListRunnersAsync)
            .WithName("ListRunners")
            .WithSummary("Every forever runner of the key's tenant that a live worker holds (the worker: admin keys only)");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<RunnerInfo>>> ListRunnersAsync(IProcessRegistry registry, Caller caller) =>
        TypedResults.Ok(RunnersOf(await registry.GetLiveAsync(ProcessRole.Worker), caller));

    /// <summary>The runners of the caller's tenant that <paramref name="workers"/> hold (the worker's id for admin keys only).</summary>
    internal static IReadOnlyList<RunnerInfo> RunnersOf(IEnumerable<ProcessAdvert> workers, Caller caller) =>
        [.. workers
            .SelectMany(w => (w.Runners ?? []).Select(r => ExeSys.Core.Jobs.JobRef.Parse(r)).Where(j => caller.Owns(j.JobId))
                .Select(j => new RunnerInfo(j.From, TenantIds.Strip(j.JobId), caller.SeesInternals ? w.Id : "")))
            .OrderBy(r => r.From, StringComparer.Ordinal).ThenBy(r => r.JobId, StringComparer.Ordinal)];

    private static async Task<Ok<IReadOnlyList<ModuleInfo>>> ListModules(FunctionDirectory directory, Caller caller)
    {
        var modules = await directory.ListModulesAsync();
        return TypedResults.Ok(caller.SeesInternals ? modules : [.. modules.Select(m => m with { Worker = "", Error = null })]);
    }

    private static async Task<Ok<IReadOnlyList<FunctionInfo>>> ListFunctions(FunctionDirectory directory, Caller caller)
    {
        var functions = await directory.ListAsync();
        return TypedResults.Ok(caller.SeesInternals ? functions : [.. functions.Select(f => f with { Workers = [] })]);
    }
}
