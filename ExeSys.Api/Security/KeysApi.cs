using ExeSys.Api.SysCmd;
using ExeSys.Core.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Security;

/// <summary><c>/keys</c>: create (the secret is shown once), list and revoke API keys. Scope admin.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/keys").WithTags("Keys").RequireAuthorization(Scopes.Admin);
        keys.MapPost("", CreateAsync)
            .WithName("CreateKey")
            .WithSummary("Create an API key; its secret is in this reply only")
            .WithDescription("""
                Body: {"name", "scopes": ["submit"|"read"|"operate"|"admin", ...], "tenant"?, "from"?: ["shop-*", ...],
                "requests_per_minute"?, "long_polls"?}. Only the key's SHA-256 hash is stored. A key of tenant T sees
                T's jobs, runs, events and definitions only, and submits only as a 'from' its patterns match.
                """)
            .Produces<CreatedKey>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        keys.MapGet("", ListAsync)
            .WithName("ListKeys")
            .WithSummary("Every API key, revoked ones too (never a secret)");
        keys.MapPost("/{id}/revoke", RevokeAsync)
            .WithName("RevokeKey")
            .WithSummary("Revoke an API key; every API process refuses it within seconds")
            .Produces<KeyInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateAsync(
        KeyRequest request, KeyAdmin admin, AuditTrail audit, Caller caller, IOptions<JobOptions> jobOptions)
    {
        if (KeyAdmin.Check(request, jobOptions.Value.MaxIdLength) is { Count: > 0 } errors)
        {
            return SysCmdRequestReader.Invalid(errors);
        }

        if (!caller.IsOperator)
        {
            if (request.Tenant is { } tenant && tenant != caller.Tenant)
            {
                return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>(StringComparer.Ordinal)
                {
                    ["tenant"] = [$"An admin key of tenant '{caller.Tenant}' creates keys of its own tenant only."],
                })
                { Status = StatusCodes.Status403Forbidden, Title = "Tenant not allowed for this key" });
            }

            request = request with { Tenant = caller.Tenant };
        }

        var created = await admin.CreateAsync(request);
        await audit.RecordAsync(caller, "key.create", $"{created.Info.Id} ({created.Info.Name}, tenant {created.Info.Tenant}, scopes {string.Join(",", created.Info.Scopes)})");
        return TypedResults.Created($"/keys/{created.Info.Id}", created);
    }

    private static async Task<Ok<IReadOnlyList<KeyInfo>>> ListAsync(KeyAdmin admin, Caller caller) => TypedResults.Ok(await VisibleAsync(admin, caller));

    /// <summary>Every key for the operator; a tenant's admin sees its own tenant's keys.</summary>
    private static async Task<IReadOnlyList<KeyInfo>> VisibleAsync(KeyAdmin admin, Caller caller) =>
        [.. (await admin.ListAsync()).Where(k => caller.IsOperator || k.Tenant == caller.Tenant)];

    private static async Task<Results<Ok<KeyInfo>, ProblemHttpResult>> RevokeAsync(string id, KeyAdmin admin, AuditTrail audit, Caller caller)
    {
        if (!(await VisibleAsync(admin, caller)).Any(k => k.Id == id) || await admin.RevokeAsync(id) == 0)
        {
            return JobResults.Problem(StatusCodes.Status404NotFound, "No such key", $"There is no API key '{id}'. GET /keys lists them.");
        }

        await audit.RecordAsync(caller, "key.revoke", id);
        return TypedResults.Ok((await VisibleAsync(admin, caller)).First(k => k.Id == id));
    }
}
