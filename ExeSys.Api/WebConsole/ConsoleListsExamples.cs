using ExeSys.Api.OpenApi;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.WebConsole;

/// <summary>Swagger examples of <c>GET /console/api/jobs</c> and <c>GET /console/api/runs</c>.</summary>
internal sealed class ConsoleListsExamples : IOperationFilter
{
    private static readonly Dictionary<string, (string Summary, string Json)> BadQuery = new()
    {
        ["bad_parameter"] = ("A parameter out of range: the field is named in errors", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid query","status":400,"detail":"limit must be 1..500; got '0'.","errors":{"limit":["limit must be 1..500; got '0'."]}}"""),
    };

    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> Jobs = new()
    {
        ["200"] = new()
        {
            ["failed"] = ("?state=error&limit=2: two failed jobs, more to load", """{"jobs":[{"from":"billing","job_id":"invoice-1043","cmd":"render_pdf","queue":"default","state":4,"status":"error","attempts":3,"created":"2026-12-07T05:10:02.114+00:00","updated":"2026-12-07T05:10:09.870+00:00","started":"2026-12-07T05:10:08.512+00:00","finished":"2026-12-07T05:10:09.870+00:00","error":"disk full on /dev/sda1"},{"from":"billing","job_id":"invoice-1017","cmd":"render_pdf","queue":"default","state":4,"status":"error","attempts":1,"created":"2026-12-07T04:58:40.001+00:00","updated":"2026-12-07T04:58:40.300+00:00","started":"2026-12-07T04:58:40.020+00:00","finished":"2026-12-07T04:58:40.300+00:00","error":"template 'v2' not found"}],"next_cursor":"MTc2NTA4MzEyMDAwMXxiaWxsaW5nOmludm9pY2UtMTAxNw","examined":212}"""),
            ["empty"] = ("Nothing matches", """{"jobs":[],"next_cursor":null,"examined":37}"""),
        },
        ["400"] = BadQuery,
    };

    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> Runs = new()
    {
        ["200"] = new()
        {
            ["runs"] = ("A paused run and a finished one", """{"runs":[{"from":"shop","job_id":"order-42","phase":"paused","state":2,"status":"processing","created":"2026-12-07T05:20:00.000+00:00","updated":"2026-12-07T05:20:00.000+00:00","nodes":4},{"from":"shop","job_id":"order-41","phase":"done","state":3,"status":"data_available","created":"2026-12-07T05:19:00.000+00:00","updated":"2026-12-07T05:19:02.250+00:00","finished":"2026-12-07T05:19:02.250+00:00","nodes":4}],"next_cursor":null,"examined":2}"""),
        },
        ["400"] = BadQuery,
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        switch (operation.OperationId)
        {
            case "ConsoleListJobs":
                SysCmdExamples.ApplyExamples(operation, null, Jobs);
                break;
            case "ConsoleListRuns":
                SysCmdExamples.ApplyExamples(operation, null, Runs);
                break;
        }
    }
}
