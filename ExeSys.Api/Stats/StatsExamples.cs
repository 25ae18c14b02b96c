using ExeSys.Api.OpenApi;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.Stats;

/// <summary>Swagger examples of <c>GET /stats</c>.</summary>
internal sealed class StatsExamples : IOperationFilter
{
    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> Responses = new()
    {
        ["200"] = new()
        {
            ["stats"] = ("Two functions: echo ran 120 times in the last minute, fail failed every time", """{"functions":{"echo":{"minute":{"counts":{"ok":120},"total":120,"p50_ms":0.336,"p95_ms":0.8,"p99_ms":1.345},"hour":{"counts":{"ok":5230,"failed":2},"total":5232,"p50_ms":0.336,"p95_ms":0.951,"p99_ms":1.6},"day":{"counts":{"ok":80211,"failed":17,"lost":1},"total":80229,"p50_ms":0.4,"p95_ms":1.131,"p99_ms":2.263}},"fail":{"minute":{"counts":{},"total":0,"p50_ms":null,"p95_ms":null,"p99_ms":null},"hour":{"counts":{"failed":3},"total":3,"p50_ms":0.141,"p95_ms":0.168,"p99_ms":0.168},"day":{"counts":{"failed":3},"total":3,"p50_ms":0.141,"p95_ms":0.168,"p99_ms":0.168}}},"flush_interval_ms":10000}"""),
        },
        ["400"] = new()
        {
            ["bad_parameter"] = ("An unknown query parameter", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid query","status":400,"detail":"'window' is not a parameter of GET /stats; the only one is 'function' (a function name).","errors":{"window":["'window' is not a parameter of GET /stats; the only one is 'function' (a function name)."]}}"""),
        },
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId == "GetStats")
        {
            SysCmdExamples.ApplyExamples(operation, null, Responses);
        }
    }
}
