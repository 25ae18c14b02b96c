using ExeSys.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.OpenApi;

/// <summary>Every operation states the scope its group's policy needs (or that it needs none), from the endpoint's own metadata.</summary>
internal sealed class ScopeDocumentation : IOperationFilter
{
    public const string SchemeName = "ApiKey";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var policy = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
        var line = policy is null
            ? "**Scope:** none: anyone may call it."
            : $"**Scope:** `{policy}` ({Scopes.Describe(policy)}). Send the key as `Authorization: Bearer <key>` or `X-Api-Key: <key>` (not needed in open mode).";
        operation.Description = string.IsNullOrEmpty(operation.Description) ? line : operation.Description + "\n\n" + line;
        if (policy is null)
        {
            return;
        }

        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No API key, or one that is unknown or revoked (ProblemDetails)." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = $"The key lacks the scope '{policy}', or may not use this 'from' (ProblemDetails)." });
        operation.Responses.TryAdd("429", new OpenApiResponse { Description = "The key's rate limit or long-poll limit is reached; Retry-After says when to retry." });
    }
}
