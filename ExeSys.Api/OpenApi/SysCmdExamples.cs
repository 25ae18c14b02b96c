using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ExeSys.Api.OpenApi;

/// <summary>Request and response examples for every shape, so Swagger UI teaches the protocol by showing it.</summary>
internal sealed class SysCmdExamples : IOperationFilter
{
    private const string JobId = "16fd2706-8baf-433b-82eb-8c7fada847da";

    private static readonly Dictionary<string, (string Summary, string Json)> Requests = new()
    {
        ["single"] = ("A single job (the original's test_cmd)", $$"""{"from":"testclient","to":"end_job","cmd":"test_cmd","data":"senatoremonti","job_id":"{{JobId}}"}"""),
        ["queue"] = ("Into a named queue its function's route allows", """{"from":"studio","to":"end_job","cmd":"render","data":{"scene":7},"job_id":"scene-7","queue":"gpu"}"""),
        ["priority"] = ("High priority, structured data", $$"""{"from":"billing","to":"end_job","cmd":"echo","data":{"invoice":42,"lines":[1,2]},"job_id":"inv-42","priority":"high"}"""),
        ["delay"] = ("A delayed job: starts 15 minutes from now (delay: 500ms, 30s, 5m, 2h, 1d or ISO 8601 PT15M)", """{"from":"billing","to":"end_job","cmd":"echo","data":{"invoice":42},"job_id":"remind-42","delay":"15m"}"""),
        ["run_at"] = ("A delayed job: starts at a given time (ISO 8601 with its offset)", """{"from":"billing","to":"end_job","cmd":"echo","data":null,"job_id":"new-year","run_at":"2027-01-01T00:00:00+01:00"}"""),
        ["error"] = ("A job that fails", """{"from":"testclient","to":"end_job","cmd":"fail","data":"disk full","job_id":"will-fail-1"}"""),
        ["concurrency_key"] = ("At most one job per incident runs at once (concurrency_key; concurrency_limit defaults to 1)", """{"from":"oncall","to":"end_job","cmd":"echo","data":{"step":"page"},"job_id":"incident-42-page","concurrency_key":"incident-42","concurrency_limit":1}"""),
    };

    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> Responses = new()
    {
        ["202"] = new()
        {
            ["accepted"] = ("New job accepted (or still running)", Reply("start", 0, attempts: 0, extra: "")),
            ["processing"] = ("Re-sent while a worker runs it", Reply("processing", 2, attempts: 1, extra: "")),
        },
        ["200"] = new()
        {
            ["data_available"] = ("Finished: the EOJ is in data", Reply("data_available", 3, attempts: 1, extra: ""","data":"senatoremonti" """)),
            ["error"] = ("Failed: state 4 with a readable error", Reply("error", 4, attempts: 1, extra: ""","error":"test_error_cmd raised an error, as it always does." """)),
        },
        ["400"] = new()
        {
            ["invalid"] = ("A bad field", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid command","status":400,"detail":"'job_id' contains the character ':' at position 3; only letters A-Z a-z, digits 0-9, '-', '_' and '.' are allowed.","errors":{"job_id":["'job_id' contains the character ':' at position 3; only letters A-Z a-z, digits 0-9, '-', '_' and '.' are allowed."]}}"""),
            ["bad_concurrency_key"] = ("A bad concurrency_key", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid command","status":400,"detail":"'concurrency_key' contains the character U+0020 at position 8; only letters A-Z a-z, digits 0-9, '-', '_' and '.' are allowed.","errors":{"concurrency_key":["'concurrency_key' contains the character U+0020 at position 8; only letters A-Z a-z, digits 0-9, '-', '_' and '.' are allowed."]}}"""),
            ["malformed"] = ("Not JSON", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid request body","status":400,"detail":"The body is not valid JSON: '}' is invalid after a property name. LineNumber: 0 | BytePositionInLine: 9."}"""),
        },
        ["404"] = new()
        {
            ["missing"] = ("No such job", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"No such job","status":404,"detail":"There is no job 'nope' from 'testclient': it was never submitted, or its retention has passed."}"""),
        },
        ["409"] = new()
        {
            ["conflict"] = ("Same job_id, different command", $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.10","title":"job_id already used for another command","status":409,"detail":"Job '{{JobId}}' from 'testclient' was submitted with a different cmd ('test_cmd', not 'echo'). Re-send the identical command to read it, or use a new job_id.","existing_cmd":"test_cmd","existing_to":"end_job"}"""),
        },
        ["410"] = new()
        {
            ["history_expired"] = ("Archived, and its MongoDB history has expired too", $$"""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.11","title":"Job history expired","status":410,"detail":"Job '{{JobId}}' from 'testclient' finished long ago and its history has expired (ExeSys:Mongo:HistoryTtl). Use a new job_id to run it again."}"""),
        },
        ["413"] = new()
        {
            ["too_large"] = ("Body over ExeSys:Api:MaxBodyBytes", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.14","title":"Request body too large","status":413,"detail":"The body is larger than 1048576 bytes, the limit set by ExeSys:Api:MaxBodyBytes."}"""),
        },
        ["415"] = new()
        {
            ["media"] = ("Not sent as JSON", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.16","title":"Unsupported media type","status":415,"detail":"The body must be JSON sent as 'Content-Type: application/json'; got 'text/plain'."}"""),
        },
        ["422"] = new()
        {
            ["unknown"] = ("No live worker offers the cmd", """{"type":"https://tools.ietf.org/html/rfc4918#section-11.2","title":"Unknown function","status":422,"detail":"No live worker offers 'nope'. Known functions: echo, fail, sleep, test_cmd, test_cmd_workflow, test_error_cmd.","known_functions":["echo","fail","sleep","test_cmd","test_cmd_workflow","test_error_cmd"]}"""),
        },
        ["503"] = new()
        {
            ["redis_down"] = ("Redis unreachable (Retry-After: 1)", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Job store unavailable","status":503,"detail":"ExeSys cannot reach Redis right now, so the request was not carried out. Retry shortly; re-sending a command never runs it twice."}"""),
            ["mongo_down"] = ("Archived, and MongoDB unreachable (Retry-After: 1)", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Job history unavailable","status":503,"detail":"The job has left Redis for the MongoDB history, and ExeSys cannot reach MongoDB right now. Retry shortly; nothing was changed."}"""),
        },
    };

    private static readonly Dictionary<string, (string Summary, string Json)> BatchRequests = new()
    {
        ["three"] = ("Three jobs in one request", """[{"from":"testclient","to":"end_job","cmd":"echo","data":1,"job_id":"batch-1"},{"from":"testclient","to":"end_job","cmd":"echo","data":2,"job_id":"batch-2"},{"from":"testclient","to":"end_job","cmd":"nope","job_id":"batch-3"}]"""),
    };

    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> BatchResponses = new()
    {
        ["200"] = new()
        {
            ["answers"] = ("With ?wait=5s: two finished, one unknown function", """{"jobs":[{"status":200,"job":{"resp":"data_available","state":3,"from":"testclient","job_id":"batch-1","to":"end_job","cmd":"echo","priority":"normal","attempts":1,"created":"2026-11-22T20:00:00+00:00","updated":"2026-11-22T20:00:00.002+00:00","poll":"/jobs/testclient/batch-1","data":1}},{"status":200,"job":{"resp":"data_available","state":3,"from":"testclient","job_id":"batch-2","to":"end_job","cmd":"echo","priority":"normal","attempts":1,"created":"2026-11-22T20:00:00+00:00","updated":"2026-11-22T20:00:00.002+00:00","poll":"/jobs/testclient/batch-2","data":2}},{"status":422,"problem":{"type":"https://tools.ietf.org/html/rfc4918#section-11.2","title":"Unknown function","status":422,"detail":"No live worker offers 'nope'. Known functions: echo, fail, sleep, test_cmd, test_cmd_workflow, test_error_cmd.","known_functions":["echo","fail","sleep","test_cmd","test_cmd_workflow","test_error_cmd"]}}],"finished":2,"problems":1}"""),
        },
        ["400"] = new()
        {
            ["invalid"] = ("One bad command refuses the whole batch", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid batch","status":400,"detail":"Command 1: 'job_id' is required.","errors":{"[1].job_id":["Command 1: 'job_id' is required."]}}"""),
        },
    };

    private static readonly Dictionary<string, (string Summary, string Json)> WorkflowRequests = new()
    {
        ["diamond"] = ("Fan-out then fan-in (EOJ 114)", """{"from":"testclient","job_id":"diamond-1","data":1,"nodes":{"a":{"cmd":"sum","data":1,"next":["b","c"]},"b":{"cmd":"sum","data":10,"next":["d"]},"c":{"cmd":"sum","data":100,"next":["d"],"retry":{"max_attempts":3,"backoff":"500ms"},"timeout":"10s"},"d":{"cmd":"sum","next":["end_job"]}}}"""),
        ["conditional"] = ("Only the taken branch runs", """{"from":"testclient","job_id":"branch-1","nodes":{"check":{"cmd":"echo","data":{"size":250},"next":[{"to":"big","when":{"path":"size","gt":100}},{"to":"small","when":{"path":"size","lte":100}}]},"big":{"cmd":"echo","data":"big","next":["end_job"]},"small":{"cmd":"echo","data":"small","next":["end_job"]}}}"""),
        ["by_name"] = ("Start a registered definition", """{"from":"testclient","job_id":"nightly-2026-11-22","workflow":"nightly","data":{"day":"2026-11-22"}}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> EventRequests = new()
    {
        ["payment"] = ("An event with data", """{"event":"payment_received","data":{"order":42,"amount":99.5}}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> EventReplies = new()
    {
        ["delivered"] = ("The jobs the event reached", """{"event":"payment_received","delivered":[{"from":"await_payment","job_id":"order-42"}]}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> WorkflowReplies = new()
    {
        ["run"] = ("A finished diamond", """{"run":{"resp":"data_available","state":3,"from":"testclient","job_id":"diamond-1","to":"end_job","cmd":"workflow","priority":"normal","attempts":1,"created":"2026-11-22T20:00:00+00:00","updated":"2026-11-22T20:00:00.03+00:00","poll":"/workflows/testclient/diamond-1","data":114},"phase":"done","nodes":[{"name":"a","state":3,"status":"data_available","cmd":"sum","attempts":1,"started":"2026-11-22T20:00:00.01+00:00","finished":"2026-11-22T20:00:00.012+00:00","skipped":false,"next":["b","c"],"edges":[{"to":"b","when":null},{"to":"c","when":null}]},{"name":"b","state":3,"status":"data_available","cmd":"sum","attempts":1,"started":"2026-11-22T20:00:00.014+00:00","finished":"2026-11-22T20:00:00.015+00:00","skipped":false,"next":["d"],"edges":[{"to":"d","when":null}]},{"name":"c","state":3,"status":"data_available","cmd":"sum","attempts":1,"started":"2026-11-22T20:00:00.014+00:00","finished":"2026-11-22T20:00:00.016+00:00","skipped":false,"next":["d"],"edges":[{"to":"d","when":null}]},{"name":"d","state":3,"status":"data_available","cmd":"sum","attempts":1,"started":"2026-11-22T20:00:00.02+00:00","finished":"2026-11-22T20:00:00.021+00:00","skipped":false,"next":["end_job"],"edges":[{"to":"end_job","when":null}]}]}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> ModulesReplies = new()
    {
        ["modules"] = ("One worker: a module serving, a reload that failed (the working version keeps serving), a folder being replaced, a broken module", """[{"worker":"worker-1","module":"builtin","version":"1.0.0.0","status":"loaded","functions":["echo","fail","sleep","test_cmd"]},{"worker":"worker-1","module":"hello","version":"1.0.0","status":"loaded","error":"the folder's new files failed to load (HelloModule.dll: not a valid .NET assembly (Bad IL format.)); still serving version 1.0.0 until the folder changes again","functions":["hello","word_count"]},{"worker":"worker-1","module":"reports","version":"3.2.0","status":"loaded","error":"the folder is gone or empty; version 3.2.0 stays offered for ExeSys:Worker:ModuleRemoveGrace (00:00:10) unless the folder comes back","functions":["monthly_report"]},{"worker":"worker-1","module":"shout","version":"2.0.0","status":"loaded","functions":["shout"]},{"worker":"worker-1","module":"boom","version":"?","status":"failed","error":"Boom.dll: a type failed to initialize: InvalidOperationException: the connection string is missing","functions":[]}]"""),
    };

    /// <summary>
    /// The bodies are read by hand (so every malformed body gets its own message), which leaves them out of the
    /// endpoint metadata; they are described here instead. (Accepts() metadata would also make routing refuse other
    /// content types with a bare 415 before the reader could explain.)
    /// </summary>
    private static readonly Dictionary<string, Type> Bodies = new()
    {
        ["SysCmd"] = typeof(SysCmd.SysCmdRequest),
        ["SysCmdBatch"] = typeof(SysCmd.SysCmdRequest[]),
        ["SubmitWorkflow"] = typeof(System.Text.Json.JsonElement),
        ["SaveWorkflowDefinition"] = typeof(System.Text.Json.JsonElement),
        ["PostEvent"] = typeof(System.Text.Json.JsonElement),
    };

    private const string GpuQueue = """{"name":"gpu","depth":12,"in_flight":3,"scheduled":1,"oldest_waiting_ms":5300,"paused":false,"functions":{"render":12},"workers":["gpu-worker-1"],"limits":{}}""";

    private static readonly Dictionary<string, (string Summary, string Json)> QueueLists = new()
    {
        ["two"] = ("The default queue, idle, and a busy gpu queue", $$$"""[{"name":"default","depth":0,"in_flight":0,"scheduled":0,"oldest_waiting_ms":null,"paused":false,"functions":{},"workers":["worker-1","worker-2"],"limits":{}},{{{GpuQueue}}}]"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> QueueReplies = new()
    {
        ["gpu"] = ("A queue with waiting jobs", GpuQueue),
        ["paused"] = ("A paused queue: its jobs wait", """{"name":"reports","depth":40,"in_flight":0,"scheduled":0,"oldest_waiting_ms":61000,"paused":true,"functions":{"report":40},"workers":["worker-3"],"limits":{}}"""),
    };

    private static readonly Dictionary<string, (string Summary, string Json)> QueueControls = new()
    {
        ["paused"] = ("POST /queues/gpu/pause", """{"name":"gpu","paused":true,"changed":true}"""),
        ["resumed"] = ("POST /queues/gpu/resume, already running", """{"name":"gpu","paused":false,"changed":false}"""),
    };

    private static readonly Dictionary<string, Dictionary<string, (string Summary, string Json)>> NoQueue = new()
    {
        ["404"] = new() { ["missing"] = ("No such queue", """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"No such queue","status":404,"detail":"There is no queue 'gpu2': it is not configured (ExeSys:Queues) and no worker serves or has served it. GET /queues lists them."}""") },
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is { } id && Bodies.TryGetValue(id, out var bodyType))
        {
            operation.RequestBody ??= new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(bodyType, context.SchemaRepository) },
                },
            };
        }

        var (requests, responses) = operation.OperationId switch
        {
            "SysCmd" => (Requests, Responses),
            "SysCmdBatch" => (BatchRequests, BatchResponses),
            "GetJob" => (null, Responses),
            "SubmitWorkflow" => (WorkflowRequests, Responses),
            "GetWorkflow" => (null, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = WorkflowReplies, ["404"] = Responses["404"], ["503"] = Responses["503"] }),
            "ListQueues" => (null, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = QueueLists }),
            "GetQueue" => (null, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = QueueReplies, ["404"] = NoQueue["404"] }),
            "PauseQueue" or "ResumeQueue" => (null, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = QueueControls, ["404"] = NoQueue["404"] }),
            "PostEvent" => (EventRequests, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = EventReplies, ["400"] = Responses["400"] }),
            "ListModules" => (null, new Dictionary<string, Dictionary<string, (string Summary, string Json)>> { ["200"] = ModulesReplies }),
            _ => (null, null),
        };
        if (responses is null)
        {
            return;
        }

        ApplyExamples(operation, requests, responses);
    }

    /// <summary>Puts the request examples on the operation's body, and each status's examples on its response.</summary>
    internal static void ApplyExamples(OpenApiOperation operation, Dictionary<string, (string Summary, string Json)>? requests, Dictionary<string, Dictionary<string, (string Summary, string Json)>> responses)
    {
        if (requests is not null && operation.RequestBody?.Content is { } requestContent)
        {
            foreach (var media in requestContent.Values)
            {
                media.Examples = ToExamples(requests);
            }
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (responses.TryGetValue(status, out var examples) && response.Content is { } content)
            {
                foreach (var media in content.Values)
                {
                    media.Examples = ToExamples(examples);
                }
            }
        }
    }

    internal static Dictionary<string, IOpenApiExample> ToExamples(Dictionary<string, (string Summary, string Json)> examples) =>
        examples.ToDictionary(e => e.Key, e => (IOpenApiExample)new OpenApiExample { Summary = e.Value.Summary, Value = JsonNode.Parse(e.Value.Json) });

    private static string Reply(string resp, int state, int attempts, string extra) =>
        $$"""{"resp":"{{resp}}","state":{{state}},"from":"testclient","job_id":"{{JobId}}","to":"end_job","cmd":"test_cmd","priority":"normal","attempts":{{attempts}},"created":"2026-11-22T20:00:00+00:00","updated":"2026-11-22T20:00:01+00:00","poll":"/jobs/testclient/{{JobId}}"{{extra.Trim()}}}""";
}
