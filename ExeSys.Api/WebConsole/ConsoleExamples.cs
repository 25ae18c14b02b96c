using ExeSys.Api.OpenApi;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.WebConsole;

/// <summary>Swagger examples of the console's overview, job and process endpoints.</summary>
internal sealed class ConsoleExamples : IOperationFilter
{
    private static readonly Dictionary<string, Dictionary<string, Dictionary<string, (string Summary, string Json)>>> ByOperation = new(StringComparer.Ordinal)
    {
        ["ConsoleOverview"] = new()
        {
            ["200"] = new()
            {
                ["operator"] = ("The operator's view (the series shortened to two minutes: ?minutes=2)", """{"now":"2026-12-07T10:15:20.5+00:00","fleet":true,"flush_interval_ms":10000,"minutes":[{"start":"2026-12-07T10:14:00+00:00","seconds":60,"submitted":1200,"finished":1195,"failed":3},{"start":"2026-12-07T10:15:00+00:00","seconds":21,"submitted":410,"finished":400,"failed":0}],"failures_last_hour":{"total":3,"functions":{"fail":3}},"queues":[{"name":"default","depth":4,"in_flight":12,"scheduled":1,"oldest_waiting_ms":35,"paused":false}],"workers":2,"controllers":1,"runners":[{"from":"feeds","job_id":"ticker-1","worker":"vm-1234"}],"history":true,"archive_backlog":17}"""),
                ["tenant"] = ("Another tenant's key: its own submits, the queue depths, its runners", """{"now":"2026-12-07T10:15:20.5+00:00","fleet":false,"flush_interval_ms":10000,"minutes":[{"start":"2026-12-07T10:14:00+00:00","seconds":60,"submitted":20,"finished":null,"failed":null},{"start":"2026-12-07T10:15:00+00:00","seconds":21,"submitted":4,"finished":null,"failed":null}],"failures_last_hour":null,"queues":[{"name":"default","depth":4,"in_flight":12,"scheduled":1,"oldest_waiting_ms":35,"paused":false}],"workers":null,"controllers":null,"runners":[],"history":true,"archive_backlog":null}"""),
            },
            ["400"] = new()
            {
                ["bad_minutes"] = ("minutes out of range", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid query","status":400,"errors":{"minutes":["'minutes' must be a whole number from 1 to 60; got '90'."]}}"""),
            },
        },
        ["ConsoleProcesses"] = new()
        {
            ["200"] = new()
            {
                ["fleet"] = ("A worker and a controller, as the operator sees them", """[{"id":"vm-1234","role":"worker","host":"vm","started":"2026-12-07T09:00:00+00:00","concurrency":64,"running":3,"functions":15,"queues":["default"],"runners":1},{"id":"vm-1200","role":"controller","host":"vm","started":"2026-12-07T09:00:00+00:00","concurrency":0,"running":0,"functions":0,"queues":[],"runners":0}]"""),
            },
        },
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is { } id && ByOperation.TryGetValue(id, out var responses))
        {
            SysCmdExamples.ApplyExamples(operation, null, responses);
        }
    }
}
