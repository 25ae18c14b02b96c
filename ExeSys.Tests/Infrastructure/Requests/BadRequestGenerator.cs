using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.Tests.Infrastructure.Requests;

/// <summary>
/// Mutations of valid commands and graphs, each built so that it is certainly invalid (a wrong type, a forbidden id
/// character, broken JSON, a body over the limit...), from one seeded <see cref="Random"/> so a failing request can be
/// generated again from the printed seed. Nothing here may produce a request the API should accept: the test
/// asserts that Redis is unchanged afterwards.
/// </summary>
internal sealed class BadRequestGenerator
{
    public const int MaxIdLength = 128;

    /// <summary>The batch limit the API under test is configured with (ExeSys:Api:MaxBatchCommands).</summary>
    public const int MaxBatchCommands = 20;

    private const string IdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    private static readonly string[] Functions = ["echo", "sleep", "sum", "test_cmd"];
    private static readonly string[] IdFields = ["from", "to", "cmd", "job_id"];

    // Characters that could break or inject into a key name, a hash tag, a URL or a log line, and odd Unicode.
    private static readonly string[] ForbiddenInIds =
    [
        ":", "*", "{", "}", "{queue}", "}:{", " ", "\t", "\n", "\r", "\0", "\u0007", "\u001b[31m", "/", "\\", "\"", "'", "?", "#", "%", "%3A",
        "[", "]", ",", ";", "@", "!", "$", "&", "+", "=", "<", ">", "|", "~", "`", "^", "(", ")",
        "é", "ß", "İ", "漢字", "😀", "👩‍👩‍👧", "\u200b", "\ufeff", "\u202e", "\u00a0", "\u2028", "\uffff", "Ａ", "٣", "e\u0301",
    ];

    private static readonly string[] OddStrings =
    [
        "😀👩‍👩‍👧", "\u202egnp.exe", "\u0000nul", "\u200b", "\ufeff", "漢字かなカナ", "e\u0301\u0301\u0301", "İıŞş", "\uffff\ufffe", "\"quoted\"", "back\\slash",
        "{queue}:ready", "*:*:start", "line\nbreak", "tab\there", "<script>", "' OR 1=1 --",
    ];

    private static readonly string[] NonJsonMediaTypes =
    [
        "text/plain", "text/html", "application/xml", "text/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/octet-stream", "image/png", "application/jsonx", "json", "application/javascript", "text/json-ish", "application/yaml",
        "*/*", "application/*",
    ];

    private static readonly string[] BadWaits =
    [
        "-1", "-5s", "abc", "5x", "1e3", "1e999", "NaN", "Infinity", "∞", "31", "31s", "0.6m", "1m", "2m", "1h", "5h", "1d", "100000000000000000000",
        "5 s", "s", "ms", "m", "..", "1.2.3", "0x10", "5sec", "5 ms", "5,0s", "+5s", "5s5", "true", "null", "[]", "%00", "5%20s", "\u0661s",
    ];

    private static readonly JsonSerializerOptions Escaped = new() { Encoder = JavaScriptEncoder.Default };
    private static readonly JsonSerializerOptions Raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Random _random;
    private readonly string _existingFrom;
    private readonly string _existingJobId;
    private int _counter;

    /// <param name="existingFrom">A job that exists, for re-sends that collide with it.</param>
    public BadRequestGenerator(int seed, string existingFrom, string existingJobId)
    {
#pragma warning disable CA5394 // Reproducible test input, not security.
        _random = new Random(seed);
#pragma warning restore CA5394
        _existingFrom = existingFrom;
        _existingJobId = existingJobId;
    }

    /// <summary>The body limit the API under test is configured with (ExeSys:Api:MaxBodyBytes).</summary>
    public static int MaxBodyBytes => 8192;

    public IEnumerable<BadRequest> Generate(int count)
    {
        var generators = new (int Weight, Func<BadRequest> Make)[]
        {
            (8, WrongType), (12, BadIdCharacter), (2, EmptyId), (4, LongId), (5, MissingField), (5, UnknownField), (3, DuplicateField),
            (3, BadPriority), (8, Truncated), (6, GarbledStructure), (5, InvalidUtf8), (5, RandomBytes), (3, NotAnObject), (3, TooDeep),
            (4, Oversized), (5, BadContentType), (5, BadWait), (2, BadOperationHeader), (3, CollidesWithExistingJob), (4, OddDataForUnknownFunction),
            (2, WrongMethod), (1, EmptyBody), (5, BadJobRead), (6, BadGraph), (3, BadWorkflowControl), (3, BadDefinition), (3, BadEvent),
            (8, BadBatch), (4, BadStop), (8, BadGraphField),
        };
        // A quarter of them also carry an auth header of a bad shape: in open mode it is ignored, and never a 5xx.
        return Weighted(generators, count).Select((r, i) => i % 4 == 0 ? r with { Headers = [.. r.Headers, BadAuthHeader()] } : r);
    }

    /// <summary>An Authorization or X-Api-Key header of a shape no key has (Calling_the_api_with_api_keys checks them with keys required).</summary>
    private KeyValuePair<string, string> BadAuthHeader()
    {
        string[] values = ["", "Bearer", "Bearer ", "Basic YTpi", "Bearer exs_", "Bearer exs_zzzzzzzzzzzz_x", "Bearer exs_0123456789ab_",
            "Bearer " + new string('k', 1 + Next(6000)), "Token abc", "exs_0123456789ab_" + RandomId(43), "Bearer \u00e9", "Bearer a b c"];
        return new(Next(2) == 0 ? "Authorization" : "X-Api-Key", Pick(values));
    }

    /// <summary>
    /// Requests to the history API (which answers only with MongoDB history on): bad filters, limits, times and cursors,
    /// bad ids, and some odd but valid queries, which are reads and may be answered 200.
    /// </summary>
    public IEnumerable<BadRequest> GenerateHistory(int count) =>
        Weighted([(10, BadHistoryQuery), (6, BadHistoryCursor), (3, BadHistoryJobRead)], count);

    private IEnumerable<BadRequest> Weighted((int Weight, Func<BadRequest> Make)[] generators, int count)
    {
        var total = generators.Sum(g => g.Weight);
        for (var i = 0; i < count; i++)
        {
            var pick = Next(total);
            foreach (var (weight, make) in generators)
            {
                if (pick < weight)
                {
                    yield return make();
                    break;
                }

                pick -= weight;
            }
        }
    }

    // ----- /sys_cmd -----

    private BadRequest WrongType()
    {
        var command = ValidCommand();
        command[Pick(IdFields)] = NonString();
        return SysCmd("wrong-type", command);
    }

    private BadRequest BadIdCharacter()
    {
        var command = ValidCommand();
        var field = Pick(IdFields);
        var id = (string)command[field]!;
        var bad = Pick(ForbiddenInIds);
        var at = Next(id.Length + 1);
        command[field] = id[..at] + bad + id[at..];
        // Half the time the odd characters go on the wire raw (UTF-8), half the time as \u escapes.
        return SysCmd("bad-id-character", command, raw: Next(2) == 0);
    }

    private BadRequest EmptyId()
    {
        var command = ValidCommand();
        command[Pick(IdFields)] = Pick(["", " ", "\t"]);
        return SysCmd("empty-id", command);
    }

    private BadRequest LongId()
    {
        var command = ValidCommand();
        command[Pick(IdFields)] = RandomId(MaxIdLength + 1 + Next(Next(2) == 0 ? 50 : 7000));
        return SysCmd("long-id", command);
    }

    private BadRequest MissingField()
    {
        var command = ValidCommand();
        command.Remove(Pick(IdFields));
        return SysCmd("missing-field", command);
    }

    private BadRequest UnknownField()
    {
        var command = ValidCommand();
        var name = Pick(["jobid", "Job_id", "FROM", "job-id", "extra", "id", "data ", "\u0000", "", "__proto__", "wait", "operation", RandomId(1 + Next(12))]);
        command[name] = NonString();
        return SysCmd("unknown-field", command);
    }

    private BadRequest DuplicateField()
    {
        var command = ValidCommand();
        var json = command.ToJsonString();
        var field = Pick(IdFields);
        // A second copy of a field, with the same or a different value: ambiguous, so refused.
        var duplicate = $"\"{field}\":{JsonSerializer.Serialize(Next(2) == 0 ? (string)command[field]! : RandomId(6))},";
        return SysCmd("duplicate-field", json.Insert(1, duplicate));
    }

    private BadRequest BadPriority()
    {
        var command = ValidCommand();
        command["priority"] = Next(2) == 0 ? JsonValue.Create(Pick(["HIGH", "urgent", "", "0", "1", "hi", "normal ", "low\u0000"])) : NonString();
        if (command["priority"] is null)
        {
            command["priority"] = 0;
        }

        return SysCmd("bad-priority", command);
    }

    private BadRequest Truncated()
    {
        var json = ValidCommand().ToJsonString();
        return SysCmd("truncated-json", json[..Next(json.Length)]);
    }

    /// <summary>Doubles one brace, bracket, colon or comma outside strings: never valid JSON.</summary>
    private BadRequest GarbledStructure()
    {
        var json = ValidCommand().ToJsonString();
        var positions = StructuralPositions(json);
        var at = positions[Next(positions.Count)];
        return SysCmd("garbled-json", json.Insert(at, json[at].ToString()));
    }

    /// <summary>A byte that never occurs in UTF-8, anywhere in the body.</summary>
    private BadRequest InvalidUtf8()
    {
        var bytes = Encoding.UTF8.GetBytes(ValidCommand().ToJsonString()).ToList();
        var bad = Next(2) == 0 ? (byte)(0x80 + Next(0x40)) : (byte)(0xF5 + Next(11));
        bytes.Insert(Next(bytes.Count + 1), bad);
        return SysCmd("invalid-utf8", [.. bytes]);
    }

    private BadRequest RandomBytes()
    {
        var bytes = new byte[Next(2) == 0 ? Next(64) : Next(4000)];
        _random.NextBytes(bytes);
        if (bytes.Length > 0 && Next(2) == 0)
        {
            bytes[0] = (byte)'{';
        }

        return SysCmd("random-bytes", bytes);
    }

    private BadRequest NotAnObject() =>
        SysCmd("not-an-object", Pick(["[]", "[{\"from\":\"a\"}]", "\"from\"", "42", "-0", "1e400", "true", "false", "null", "\"\"", "[" + ValidCommand().ToJsonString() + "]"]));

    private BadRequest TooDeep()
    {
        var depth = 65 + Next(Next(2) == 0 ? 10 : 5000);
        var open = Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var data = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var command = ValidCommand();
        command.Remove("data");
        var json = command.ToJsonString();
        return SysCmd("too-deep", json.Insert(json.Length - 1, ",\"data\":" + data));
    }

    private BadRequest Oversized()
    {
        var command = ValidCommand();
        command["data"] = new string('x', MaxBodyBytes + Next(Next(2) == 0 ? 100 : 60_000));
        return SysCmd("oversized", Encoding.UTF8.GetBytes(command.ToJsonString()), chunked: Next(2) == 0);
    }

    private BadRequest BadContentType()
    {
        var request = SysCmd("bad-content-type", ValidCommand().ToJsonString());
        return request with { ContentType = Pick(NonJsonMediaTypes) };
    }

    private BadRequest BadWait()
    {
        var request = SysCmd("bad-wait", ValidCommand().ToJsonString());
        return request with { PathAndQuery = "/sys_cmd?wait=" + Uri.EscapeDataString(Pick(BadWaits)) };
    }

    private BadRequest BadOperationHeader()
    {
        var request = SysCmd("bad-operation-header", ValidCommand().ToJsonString());
        return request with { Headers = [new("Operation", Pick(["workflows", "flow", "step", "true", "1", "workflow2", "work flow", "chain", RandomId(8)]))] };
    }

    /// <summary>The from/job_id of an existing job with another cmd, to or data: 409, and the job stays as it was.</summary>
    private BadRequest CollidesWithExistingJob()
    {
        var command = ValidCommand();
        command["from"] = _existingFrom;
        command["job_id"] = _existingJobId;
        switch (Next(3))
        {
            case 0:
                command["cmd"] = "sleep";
                break;
            case 1:
                command["to"] = "somewhere-else";
                break;
            default:
                command["data"] = $"other data {Next(1000)}";
                break;
        }

        return SysCmd("collides-with-existing-job", command);
    }

    /// <summary>
    /// Well-formed commands whose data is odd (lone surrogates, huge numbers, control characters, deep but allowed
    /// nesting) for a function no worker offers: the body is parsed all the way, then refused with 422.
    /// </summary>
    private BadRequest OddDataForUnknownFunction()
    {
        var command = ValidCommand();
        command["cmd"] = "no_such_function_" + Next(100).ToString(CultureInfo.InvariantCulture);
        command.Remove("data");
        var json = command.ToJsonString();
        var data = Next(6) switch
        {
            0 => "\"\\ud800\"",
            1 => "\"\\udfff\\ud800x\"",
            2 => Pick(["1e400", "-1e400", "123456789012345678901234567890", "-0", "0.0000000000000000000000001", "1E+2"]),
            3 => string.Concat(Enumerable.Repeat("[", 60)) + string.Concat(Enumerable.Repeat("]", 60)),
            4 => "\"\\u0000\\u0001\\u001f\\\\\\\"\"",
            _ => JsonSerializer.Serialize(Pick(OddStrings), Raw),
        };
        return SysCmd("odd-data-unknown-function", json.Insert(json.Length - 1, ",\"data\":" + data));
    }

    private BadRequest WrongMethod()
    {
        var method = Pick([HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch]);
        return SysCmd("wrong-method", ValidCommand().ToJsonString()) with { Method = method, Body = method == HttpMethod.Get ? null : Encoding.UTF8.GetBytes(ValidCommand().ToJsonString()) };
    }

    private BadRequest EmptyBody() => SysCmd("empty-body", Array.Empty<byte>());

    // ----- GET /jobs -----

    private BadRequest BadJobRead()
    {
        var from = RandomId(1 + Next(10));
        var jobId = RandomId(1 + Next(10));
        string path;
        switch (Next(3))
        {
            case 0:
                var bad = Uri.EscapeDataString(Pick(ForbiddenInIds));
                path = Next(2) == 0 ? $"/jobs/{from}{bad}/{jobId}" : $"/jobs/{from}/{bad}{jobId}";
                break;
            case 1:
                path = $"/jobs/{from}/{RandomId(MaxIdLength + 1 + Next(3000))}";
                break;
            default:
                path = $"/jobs/{_existingFrom}/{_existingJobId}?wait={Uri.EscapeDataString(Pick(BadWaits))}";
                break;
        }

        return new BadRequest("bad-job-read", HttpMethod.Get, path);
    }

    // ----- /workflows -----

    private BadRequest BadGraph()
    {
        var run = new JsonObject { ["from"] = RandomId(1 + Next(10)), ["job_id"] = RandomId(1 + Next(12)), ["data"] = Next(100), ["nodes"] = Diamond() };
        var nodes = (JsonObject)run["nodes"]!;
        string? raw = null;
        switch (Next(14))
        {
            case 0:
                nodes["d"]!["next"] = new JsonArray("a", "end_job");
                break;
            case 1:
                nodes["b"]!["next"] = new JsonArray("nowhere");
                break;
            case 2:
                nodes["c"]!["cmd"] = "no_such_function";
                break;
            case 3:
                nodes["d"]!["next"] = new JsonArray();
                break;
            case 4:
                nodes["x" + Pick(ForbiddenInIds)] = new JsonObject { ["cmd"] = "sum", ["next"] = new JsonArray("end_job") };
                break;
            case 5:
                run["nodes"] = new JsonArray(1, 2, 3);
                break;
            case 6:
                run.Remove(Pick(["from", "job_id"]));
                break;
            case 7:
                run["workflow"] = "also-a-name";
                break;
            case 8:
                run[Pick(["node", "graph", "extra", "From"])] = 1;
                break;
            case 9:
                run["from"] = NonString();
                break;
            case 10:
                // A node named like the run's own 'from' is reserved.
                nodes[(string)run["from"]!] = new JsonObject { ["cmd"] = "sum", ["next"] = new JsonArray("end_job") };
                break;
            case 11:
                nodes["e"] = new JsonObject { ["cmd"] = "sum", ["next"] = new JsonArray("end_job"), ["colour"] = "red" };
                break;
            case 12:
                // The same node name twice in one object.
                var json = run.ToJsonString();
                var at = json.IndexOf("\"a\":", StringComparison.Ordinal);
                raw = json.Insert(at, "\"a\":{\"cmd\":\"sum\",\"next\":[\"end_job\"]},");
                break;
            default:
                var text = run.ToJsonString();
                raw = text[..Next(text.Length)];
                break;
        }

        var body = Encoding.UTF8.GetBytes(raw ?? run.ToJsonString());
        return new BadRequest("bad-graph", HttpMethod.Post, "/workflows") { Body = body, ContentType = "application/json" };
    }

    private BadRequest BadWorkflowControl()
    {
        // Ids in a path start with a letter: '.' and '..' would be folded away as dot segments, into another route.
        var from = "w" + RandomId(1 + Next(8));
        var jobId = "r" + RandomId(1 + Next(8));
        var path = Next(4) switch
        {
            0 => $"/workflows/{from}/{jobId}/{Pick(["stop", "delete", "PAUSE", "restart", "kill", RandomId(5)])}",
            1 => $"/workflows/{from}/{jobId}/{Pick(["pause", "resume", "cancel"])}",
            2 => $"/workflows/{from}{Uri.EscapeDataString(Pick(ForbiddenInIds))}/{jobId}/cancel",
            _ => $"/workflows/{Uri.EscapeDataString(Pick(ForbiddenInIds))}{from}/cancel",
        };
        return new BadRequest("bad-workflow-control", HttpMethod.Post, path);
    }

    private BadRequest BadDefinition()
    {
        var name = RandomId(1 + Next(10));
        var definition = new JsonObject { ["nodes"] = Diamond() };
        switch (Next(5))
        {
            case 0:
                name += Uri.EscapeDataString(Pick(ForbiddenInIds));
                break;
            case 1:
                ((JsonObject)definition["nodes"]!)["d"]!["next"] = new JsonArray("a");
                break;
            case 2:
                definition["from"] = "not-a-definition-field";
                break;
            case 3:
                definition["nodes"] = "a,b,c";
                break;
            default:
                ((JsonObject)definition["nodes"]!)["b"]!["next"] = new JsonArray("missing-node");
                break;
        }

        return new BadRequest("bad-definition", HttpMethod.Put, $"/workflows/definitions/{name}")
        {
            Body = Encoding.UTF8.GetBytes(definition.ToJsonString()),
            ContentType = "application/json",
        };
    }

    // ----- /events -----

    private BadRequest BadEvent()
    {
        var name = RandomId(1 + Next(10));
        var posted = new JsonObject { ["event"] = name, ["data"] = RandomData(2) };
        switch (Next(5))
        {
            case 0:
                var at = Next(name.Length + 1);
                posted["event"] = name[..at] + Pick(ForbiddenInIds) + name[at..];
                break;
            case 1:
                posted.Remove("event");
                break;
            case 2:
                posted["event"] = NonString();
                break;
            case 3:
                posted["event"] = RandomId(MaxIdLength + 1 + Next(50));
                break;
            default:
                posted[Pick(["from", "job_id", "when", "Event", "name"])] = RandomData(1);
                break;
        }

        return new BadRequest("bad-event", HttpMethod.Post, "/events") { Body = Encoding.UTF8.GetBytes(posted.ToJsonString(Raw)), ContentType = "application/json" };
    }

    // ----- /sys_cmd/batch -----

    /// <summary>
    /// A batch the API refuses whole (so nothing of it is written): not an array, over the limit, two commands with one
    /// from/job_id, or one malformed command among valid ones; broken JSON, a bad ?wait or media type.
    /// </summary>
    private BadRequest BadBatch()
    {
        var commands = Enumerable.Range(0, 1 + Next(5)).Select(_ => (JsonNode?)ValidCommand()).ToList();
        var path = "/sys_cmd/batch";
        string? contentType = "application/json";
        string? raw = null;
        switch (Next(9))
        {
            case 0:
                raw = Pick(["{}", "\"[]\"", "42", "null", "true", ValidCommand().ToJsonString(), "{\"commands\":[]}"]);
                break;
            case 1:
                commands = [.. Enumerable.Range(0, MaxBatchCommands + 1 + Next(30)).Select(_ => (JsonNode?)ValidCommand())];
                break;
            case 2:
                commands.Add(commands[Next(commands.Count)]!.DeepClone());
                break;
            case 3:
                var command = ValidCommand();
                command[Pick(IdFields)] = NonString();
                commands.Insert(Next(commands.Count + 1), command);
                break;
            case 4:
                var badId = ValidCommand();
                var field = Pick(IdFields);
                badId[field] = (string)badId[field]! + Pick(ForbiddenInIds);
                commands.Insert(Next(commands.Count + 1), badId);
                break;
            case 5:
                commands.Insert(Next(commands.Count + 1), Pick<JsonNode?>([null, 1, "x", new JsonArray(), new JsonObject { ["from"] = "a" }]));
                break;
            case 6:
                var text = new JsonArray([.. commands]).ToJsonString();
                raw = text[..Next(text.Length)];
                break;
            case 7:
                path += "?wait=" + Uri.EscapeDataString(Pick(BadWaits));
                break;
            default:
                contentType = Pick(NonJsonMediaTypes);
                break;
        }

        var body = raw ?? new JsonArray([.. commands.Select(c => c?.DeepClone())]).ToJsonString();
        return new BadRequest("bad-batch", HttpMethod.Post, path) { Body = Encoding.UTF8.GetBytes(body), ContentType = contentType };
    }

    // ----- POST /jobs/{from}/{job_id}/stop -----

    /// <summary>A stop for a bad id, an id over the limit, a job that does not exist (404), or with the wrong method.</summary>
    private BadRequest BadStop()
    {
        var (from, jobId) = ("s" + RandomId(1 + Next(10)), "j" + RandomId(1 + Next(10)));
        var bad = Uri.EscapeDataString(Pick(ForbiddenInIds));
        return Next(5) switch
        {
            0 => new BadRequest("bad-stop", HttpMethod.Post, $"/jobs/{from}{bad}/{jobId}/stop"),
            1 => new BadRequest("bad-stop", HttpMethod.Post, $"/jobs/{from}/{bad}{jobId}/stop"),
            2 => new BadRequest("bad-stop", HttpMethod.Post, $"/jobs/{from}/{RandomId(MaxIdLength + 1 + Next(500))}/stop"),
            3 => new BadRequest("bad-stop", HttpMethod.Post, $"/jobs/{from}/{jobId}/stop"),
            _ => new BadRequest("bad-stop", Pick([HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete]), $"/jobs/{from}/{jobId}/stop"),
        };
    }

    // ----- /workflows: when, retry, timeout, start -----

    /// <summary>A valid diamond but for one bad edge condition, retry, timeout or start.</summary>
    private BadRequest BadGraphField()
    {
        var run = new JsonObject { ["from"] = RandomId(1 + Next(10)), ["job_id"] = RandomId(1 + Next(12)), ["data"] = Next(100), ["nodes"] = Diamond() };
        var nodes = (JsonObject)run["nodes"]!;
        var node = (JsonObject)nodes[Pick(["a", "b", "c", "d"])]!;
        string category;
        switch (Next(4))
        {
            case 0:
                category = "bad-when";
                nodes["b"]!["next"] = new JsonArray(new JsonObject { ["to"] = "d", ["when"] = BadWhen() });
                break;
            case 1:
                category = "bad-retry";
                node["retry"] = BadRetry();
                break;
            case 2:
                category = "bad-timeout";
                // A number is milliseconds and a bare string seconds, so 30 and "5" are valid: not here.
                node["timeout"] = Pick<JsonNode?>(["0s", "0ms", "-5s", "2d", "25h", "abc", "", "1e400ms", "5 s", "\u0661s", -1, 0, JsonNode.Parse("1e400"), true, null, new JsonArray("1s")]);
                break;
            default:
                category = "bad-start";
                run["start"] = Pick<JsonNode?>([new JsonArray(), new JsonArray("nowhere"), new JsonArray("a", "nowhere"), new JsonArray(1), new JsonArray("end_job"),
                    new JsonArray("start_job"), new JsonArray(new JsonArray("a")), "a", 1, null, new JsonObject { ["a"] = true }, new JsonArray("a" + Pick(ForbiddenInIds))]);
                break;
        }

        return new BadRequest(category, HttpMethod.Post, "/workflows") { Body = Encoding.UTF8.GetBytes(run.ToJsonString(Raw)), ContentType = "application/json" };
    }

    private JsonNode? BadWhen() => Next(12) switch
    {
        0 => Pick<JsonNode?>([null, 1, "size > 1", true, new JsonArray()]),
        1 => new JsonObject(),
        2 => new JsonObject { ["path"] = "size" },
        3 => new JsonObject { ["path"] = Pick<JsonNode?>([1, true, new JsonArray("a"), new JsonObject()]), ["equals"] = 1 },
        4 => new JsonObject { ["path"] = "size", ["greater"] = 1 },
        5 => new JsonObject { ["path"] = "size", ["gt"] = 1, ["lt"] = 5 },
        6 => new JsonObject { ["path"] = "size", [Pick(["gt", "gte", "lt", "lte"])] = Pick<JsonNode?>(["1", null, true, new JsonArray(1), new JsonObject()]) },
        7 => new JsonObject { ["path"] = "size", ["in"] = Pick<JsonNode?>([1, "a", null, new JsonObject()]) },
        8 => new JsonObject { ["path"] = "size", ["exists"] = Pick<JsonNode?>([1, "true", null, new JsonArray()]) },
        9 => new JsonObject { ["path"] = "size", ["GT"] = 1 },
        10 => JsonNode.Parse("""{"path": "size", "gt": 1e400}"""),
        _ => new JsonObject { ["path"] = "size", [Pick(["gt", "lt"])] = JsonNode.Parse(Pick(["1e309", "-1e309", "1e999"])) },
    };

    private JsonNode? BadRetry() => Next(8) switch
    {
        0 => Pick<JsonNode?>([null, 3, "3", true, new JsonArray(3)]),
        1 => new JsonObject { ["max_attempts"] = Pick<JsonNode?>([0, -1, 101, 1.5, "3", null, true, 1e10, long.MaxValue]) },
        // A number is milliseconds, so 5 is a valid backoff: not here.
        2 => new JsonObject { ["backoff"] = Pick<JsonNode?>(["abc", "-1s", "0x", "2d", "25h", "", "1e400s", -5, null, true, "5 s"]) },
        3 => new JsonObject { ["max_attempts"] = Pick<JsonNode?>([new JsonArray(3), new JsonObject { ["n"] = 3 }]), ["backoff"] = "1s" },
        4 => new JsonObject { ["max_attempts"] = Pick<JsonNode?>([0, 101]), ["backoff"] = "1s" },
        5 => JsonNode.Parse("""{"max_attempts": 1e400}"""),
        6 => JsonNode.Parse("""{"max_attempts": 99999999999999999999999}"""),
        _ => new JsonObject { ["max_attempts"] = 2, ["backoff"] = Pick<JsonNode?>(["9999999999999999999999ms", "100000000d", "1e10s"]) },
    };

    // ----- /history (MongoDB history on) -----

    private static readonly string[] BadTimes = ["yesterday", "now", "2026-13-01", "2026-02-30T00:00:00Z", "1e10", "-1", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "T", "%00", "2026-01-01T25:00:00Z"];

    private BadRequest BadHistoryQuery()
    {
        var query = Next(9) switch
        {
            0 => "state=" + Pick(["abc", "5", "-1", "99999999999", "3.5", "1e1", "true", "%00", "3,4"]),
            1 => "limit=" + Pick(["0", "501", "-1", "abc", "1e3", "99999999999", "2147483648", "50.5", "%20"]),
            2 => Pick(["since=", "until="]) + Uri.EscapeDataString(Pick(BadTimes)),
            3 => "from=" + Uri.EscapeDataString(RandomId(1 + Next(5)) + Pick(ForbiddenInIds)),
            4 => "cmd=" + Uri.EscapeDataString(Pick(ForbiddenInIds) + RandomId(1 + Next(5))),
            5 => "from=" + RandomId(MaxIdLength + 1 + Next(300)),
            6 => "state=3&state=4",
            7 => "since=2026-01-01T00:00:00Z&until=2025-01-01T00:00:00Z&limit=1",
            _ => $"from={RandomId(1 + Next(8))}&cmd={Pick(Functions)}&state={3 + Next(2)}&limit={1 + Next(500)}",
        };
        return new BadRequest("history-query", HttpMethod.Get, "/history/jobs?" + query);
    }

    private BadRequest BadHistoryCursor()
    {
        var text = Next(8) switch
        {
            0 => RandomId(1 + Next(40)),
            1 => Base64Url(Pick(["", "|", "123", "|x", "abc|x", "1|", "1.5|x", " 1|x", "0x10|x"])),
            2 => Base64Url(Pick(["99999999999999999|x", "-99999999999999999|x", "9223372036854775807|x", "-9223372036854775808|a:b", "253402300800000|x", "-62135596800001|x"])),
            3 => Base64Url($"{Next(int.MaxValue)}|{Pick(OddStrings)}"),
            4 => Pick(["%00", "====", "a", "ab=", "-_-_", "++//", "%FF%FE", "\u00e9", "😀"]),
            5 => Base64Url(new string('9', 40) + "|x"),
            6 => RandomId(2000 + Next(3000)),
            _ => Base64Url($"{Next(int.MaxValue)}|{RandomId(1 + Next(20))}:{RandomId(1 + Next(20))}"),
        };
        return new BadRequest("history-cursor", HttpMethod.Get, "/history/jobs?cursor=" + Uri.EscapeDataString(text));
    }

    private BadRequest BadHistoryJobRead()
    {
        var (from, jobId) = ("h" + RandomId(1 + Next(10)), "j" + RandomId(1 + Next(10)));
        var bad = Uri.EscapeDataString(Pick(ForbiddenInIds));
        var path = Next(4) switch
        {
            0 => $"/history/jobs/{from}{bad}/{jobId}",
            1 => $"/history/jobs/{from}/{jobId}{bad}/activity",
            2 => $"/history/jobs/{from}/{RandomId(MaxIdLength + 1 + Next(300))}",
            _ => $"/history/jobs/{from}/{jobId}{(Next(2) == 0 ? "" : "/activity")}",
        };
        return new BadRequest("history-job", HttpMethod.Get, path);
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // ----- building blocks -----

    private JsonObject ValidCommand()
    {
        var command = new JsonObject
        {
            ["from"] = RandomId(1 + Next(16)),
            ["to"] = "end_job",
            ["cmd"] = Pick(Functions),
            ["data"] = RandomData(3),
            ["job_id"] = $"fz{Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture)}-{RandomId(1 + Next(12))}",
        };
        if (Next(4) == 0)
        {
            command["priority"] = Pick(["high", "normal", "low"]);
        }

        return command;
    }

    private static JsonObject Diamond() => new()
    {
        ["a"] = new JsonObject { ["cmd"] = "sum", ["data"] = 1, ["next"] = new JsonArray("b", "c") },
        ["b"] = new JsonObject { ["cmd"] = "sum", ["data"] = 10, ["next"] = new JsonArray("d") },
        ["c"] = new JsonObject { ["cmd"] = "sum", ["data"] = 100, ["next"] = new JsonArray("d") },
        ["d"] = new JsonObject { ["cmd"] = "sum", ["next"] = new JsonArray("end_job") },
    };

    private JsonNode? RandomData(int depth) => Next(depth > 0 ? 7 : 4) switch
    {
        0 => null,
        1 => Next(1_000_000) - 500_000,
        2 => RandomId(Next(20)),
        3 => Next(2) == 0,
        4 => new JsonArray([.. Enumerable.Range(0, Next(4)).Select(_ => RandomData(depth - 1))]),
        _ => new JsonObject(Enumerable.Range(0, Next(4)).Select(i => KeyValuePair.Create($"k{i}", RandomData(depth - 1)))),
    };

    private JsonNode? NonString() => Next(6) switch
    {
        0 => null,
        1 => Next(1000),
        2 => Next(2) == 0,
        3 => new JsonArray("a", "b"),
        4 => new JsonObject { ["from"] = "x" },
        _ => 1.5,
    };

    /// <summary>Positions of { } [ ] : , outside string literals.</summary>
    private static List<int> StructuralPositions(string json)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '}' or '[' or ']' or ':' or ',')
            {
                positions.Add(i);
            }
        }

        return positions;
    }

    private static BadRequest SysCmd(string category, JsonObject command, bool raw = false)
    {
        return SysCmd(category, command.ToJsonString(raw ? Raw : Escaped));
    }

    private static BadRequest SysCmd(string category, string json) => SysCmd(category, Encoding.UTF8.GetBytes(json));

    private static BadRequest SysCmd(string category, byte[] body, bool chunked = false) =>
        new(category, HttpMethod.Post, "/sys_cmd") { Body = body, ContentType = "application/json", Chunked = chunked };

    private string RandomId(int length) => string.Create(length, _random, (span, random) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
#pragma warning disable CA5394 // Reproducible test input, not security.
            span[i] = IdChars[random.Next(IdChars.Length)];
#pragma warning restore CA5394
        }
    });

#pragma warning disable CA5394 // Reproducible test input, not security.
    private int Next(int maxExclusive) => _random.Next(maxExclusive);
#pragma warning restore CA5394

    private T Pick<T>(T[] items) => items[Next(items.Length)];
}
