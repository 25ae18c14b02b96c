using ExeSys.Api.OpenApi;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.Schedules;

/// <summary>Swagger examples of the schedule bodies and replies (the bodies are read by hand, so they are described here).</summary>
internal sealed class ScheduleExamples : IOperationFilter
{
    private static readonly Dictionary<string, (string Summary, string Json)> Requests = new()
    {
        ["cron_command"] = ("Every day at 02:30 in Rome, one command per firing", """{"name":"nightly-report","cron":"30 2 * * *","time_zone":"Europe/Rome","overlap":"skip","misfire":"fire_once","catch_up":"10m","jitter":"30s","command":{"from":"reports","to":"end_job","cmd":"echo","data":{"report":"daily"}}}"""),
        ["interval_workflow"] = ("Every 5 minutes between two dates, a named workflow definition per firing", """{"name":"sync","interval":"5m","start":"2026-12-07T00:00:00Z","end":"2027-01-01T00:00:00Z","overlap":"cancel_previous","workflow":{"from":"etl","name":"nightly-etl","data":{"full":false}}}"""),
        ["seconds"] = ("6 fields: every 10 seconds, catching up every missed firing (at most 20)", """{"name":"poll","cron":"*/10 * * * * *","misfire":"fire_all","max_catch_up":20,"overlap":"allow_all","command":{"from":"poller","to":"end_job","cmd":"echo","data":null,"queue":"default","priority":"low"}}"""),
    };

    private const string Schedule = """{"name":"nightly-report","cron":"30 2 * * *","time_zone":"Europe/Rome","jitter":"30000ms","overlap":"skip","misfire":"fire_once","catch_up":"600s","max_catch_up":1,"command":{"from":"reports","to":"end_job","cmd":"echo","data":{"report":"daily"},"priority":"normal"},"paused":false,"next_fire_times":["2026-12-07T01:30:00+00:00","2026-12-08T01:30:00+00:00","2026-12-09T01:30:00+00:00","2026-12-10T01:30:00+00:00","2026-12-11T01:30:00+00:00"],"last_runs":[{"fire_time":"2026-12-06T01:30:00+00:00","job_id":"nightly-report.20261206T013000Z","outcome":"started","state":3,"resp":"data_available"},{"fire_time":"2026-12-05T01:30:00+00:00","job_id":"nightly-report.20261205T013000Z","outcome":"skipped"}],"created":"2026-12-01T09:00:00+00:00","updated":"2026-12-01T09:00:00+00:00"}""";

    private static readonly Dictionary<string, (string Summary, string Json)> Replies = new() { ["schedule"] = ("A schedule with its next fire times and last runs", Schedule) };

    private static readonly Dictionary<string, (string Summary, string Json)> Invalid = new()
    {
        ["bad_cron"] = ("A bad cron expression", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid schedule","status":400,"detail":"'cron' is not a cron expression Cronos reads: '61 * * * *'. Give 5 fields (minute hour day month weekday) or 6 (seconds first).","errors":{"cron":["'cron' is not a cron expression Cronos reads: '61 * * * *'. Give 5 fields (minute hour day month weekday) or 6 (seconds first)."]}}"""),
        ["bad_zone"] = ("An unknown time zone", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid schedule","status":400,"detail":"'time_zone' must be an IANA time zone such as \"Europe/Rome\" or \"UTC\"; 'Mars/Olympus_Mons' is unknown.","errors":{"time_zone":["'time_zone' must be an IANA time zone such as \"Europe/Rome\" or \"UTC\"; 'Mars/Olympus_Mons' is unknown."]}}"""),
        ["bad_range"] = ("An end before the start", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid schedule","status":400,"detail":"'end' must be after 'start'.","errors":{"end":["'end' must be after 'start'."]}}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> NotFound = new()
    {
        ["missing"] = ("No such schedule", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"No such schedule","status":404,"detail":"There is no schedule named 'nightly-report'. GET /schedules lists them."}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> Triggered = new()
    {
        ["triggered"] = ("Fired now: its job starts within one controller tick", """{"name":"nightly-report","fire_time":"2026-12-06T21:15:02+00:00","from":"reports","job_id":"nightly-report.20261206T211502Z","poll":"/jobs/reports/nightly-report.20261206T211502Z"}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> Pages = new()
    {
        ["page"] = ("A page of schedules", $$"""{"schedules":[{{Schedule}}],"total":1}"""),
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var (body, responses) = operation.OperationId switch
        {
            "CreateSchedule" => (true, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["201"] = Replies, ["400"] = Invalid }),
            "UpdateSchedule" => (true, new() { ["200"] = Replies, ["400"] = Invalid, ["404"] = NotFound }),
            "GetSchedule" or "PauseSchedule" or "ResumeSchedule" => (false, new() { ["200"] = Replies, ["404"] = NotFound }),
            "ListSchedules" => (false, new() { ["200"] = Pages }),
            "TriggerSchedule" => (false, new() { ["202"] = Triggered, ["404"] = NotFound }),
            "DeleteSchedule" => (false, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["404"] = NotFound }),
            _ => (false, null),
        };
        if (responses is null)
        {
            return;
        }

        if (body)
        {
            operation.RequestBody ??= new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() } };
        }

        SysCmdExamples.ApplyExamples(operation, body ? Requests : null, responses);
    }
}
