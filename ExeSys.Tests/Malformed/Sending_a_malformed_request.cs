using System.Net;
using System.Text;
using ExeSys.Core.Redis;
using ExeSys.Core.Registry;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Requests;

namespace ExeSys.Tests.Malformed;

/// <summary>
/// Every way a client can get a request wrong is a 4xx with a ProblemDetails body a person can act on, never a 5xx,
/// and nothing under the fixture's key prefix changes. A job already sits under the ids most requests aim at, so
/// a request that slipped through would show up as a change.
/// </summary>
[TestFixture]
public sealed class Sending_a_malformed_request
{
    private const int MaxBodyBytes = 1024;
    private const int MaxBatchBodyBytes = 4096;
    private const int MaxBatchCommands = 5;
    private const string Valid = """{"from":"client","to":"end_job","cmd":"echo","data":{"n":1},"job_id":"seeded"}""";
    private ExeSysDeployment _deployment = null!;

    [OneTimeSetUp]
    public async Task Start_the_api_with_one_job_in_redis()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("malformed"))
            .With("ExeSys:Api:MaxBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("ExeSys:Api:MaxBatchBodyBytes", MaxBatchBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("ExeSys:Api:MaxBatchCommands", MaxBatchCommands.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _deployment = await ExeSysDeployment.Build(settings).WithApiInProcess().StartAsync();

        // A worker advertisement without a worker: 'echo' is known to the API, yet nothing runs or writes while
        // the requests are sent, so the keyspace stays still unless a request writes to it.
        var registry = new RedisProcessRegistry(TestRedis.Connection, new RedisKeys(settings.Prefix));
        await registry.HeartbeatAsync(
            new ProcessAdvert("advert-only", "worker", "test", Environment.ProcessId, DateTimeOffset.UtcNow, BuiltinFunctionNames.Original, 1, 0),
            TimeSpan.FromMinutes(30));
        var seeded = await SysCmdHttp.PostAsync(_deployment.Client, Valid);
        Assert.That(seeded.Status, Is.EqualTo(HttpStatusCode.Accepted), $"seeding the job: {seeded}");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _deployment.DisposeAsync();

    /// <summary>A <c>POST /sys_cmd</c> of <paramref name="body"/> in UTF-8, as <c>StringContent</c> sends text (<c>; charset=utf-8</c>).</summary>
    private static BadRequest Post(string name, string body, string? query = null, string? mediaType = "application/json") =>
        new(name, HttpMethod.Post, "/sys_cmd" + query) { Body = Encoding.UTF8.GetBytes(body), ContentType = Text(mediaType) };

    /// <summary>A <c>POST /sys_cmd/batch</c> of the given commands' raw JSON.</summary>
    private static BadRequest Batch(string name, string body, string? query = null, string mediaType = "application/json") =>
        new("batch: " + name, HttpMethod.Post, "/sys_cmd/batch" + query) { Body = Encoding.UTF8.GetBytes(body), ContentType = Text(mediaType) };

    private static string? Text(string? mediaType) => mediaType is null ? null : mediaType + "; charset=utf-8";

    /// <summary>A valid command for a job that does not exist yet: one that slipped through would be written.</summary>
    private static string Fresh(int n, string data = "1") => With("job_id", $"\"fresh-{n}\"").Replace("""{"n":1}""", data, StringComparison.Ordinal);

    private static BadRequest PostBytes(string name, byte[] body) =>
        new(name, HttpMethod.Post, "/sys_cmd") { Body = body, ContentType = "application/json" };

    private static BadRequest Get(string name, string path) => new(name, HttpMethod.Get, path);

    /// <summary>The valid command with one field's raw JSON replaced (or removed when null).</summary>
    private static string With(string field, string? rawJson)
    {
        var fields = new Dictionary<string, string>
        {
            ["from"] = "\"client\"",
            ["to"] = "\"end_job\"",
            ["cmd"] = "\"echo\"",
            ["data"] = """{"n":1}""",
            ["job_id"] = "\"seeded\"",
        };
        if (rawJson is null)
        {
            fields.Remove(field);
        }
        else
        {
            fields[field] = rawJson;
        }

        return "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
    }

    private static IEnumerable<BadRequest> Cases()
    {
        // Not JSON, or not a JSON object.
        yield return Post("empty body", "");
        yield return Post("truncated JSON", """{"from":"client","to":""");
        yield return Post("trailing comma", """{"from":"client","to":"end_job","cmd":"echo","data":1,"job_id":"seeded",}""");
        yield return Post("plain text", "from=client&cmd=echo");
        yield return Post("single-quoted strings", "{'from':'client','to':'end_job','cmd':'echo','job_id':'seeded'}");
        yield return Post("JSON with a comment", "{/* hi */" + Valid[1..]);
        yield return Post("a second value after the object", Valid + " {}");
        yield return Post("JSON array root", "[" + Valid + "]");
        yield return Post("JSON string root", "\"" + Valid.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        yield return Post("JSON number root", "42");
        yield return Post("JSON null root", "null");
        yield return PostBytes("invalid UTF-8 in job_id", InvalidUtf8In(With("job_id", "\"seeded\u00e9\"")));
        yield return PostBytes("invalid UTF-8 in data of a new job", InvalidUtf8In(With("data", "\"\u00e9\"").Replace("seeded", "fresh", StringComparison.Ordinal)));
        yield return PostBytes("invalid UTF-8 in a field name", InvalidUtf8In(Valid[..^1] + ",\"\u00e9\":1}"));
        yield return PostBytes("invalid UTF-8 in priority", InvalidUtf8In(Valid[..^1] + ",\"priority\":\"\u00e9\"}"));
        yield return Post("nesting deeper than 64 levels in data", With("data", new string('[', 100) + new string(']', 100)));

        // Missing fields and wrong types.
        yield return Post("missing from", With("from", null));
        yield return Post("missing to", With("to", null));
        yield return Post("missing cmd", With("cmd", null));
        yield return Post("missing job_id", With("job_id", null));
        yield return Post("empty object", "{}");
        yield return Post("from is a number", With("from", "7"));
        yield return Post("to is null", With("to", "null"));
        yield return Post("cmd is an array", With("cmd", """["echo"]"""));
        yield return Post("job_id is an object", With("job_id", """{"id":"seeded"}"""));
        yield return Post("job_id is a boolean", With("job_id", "true"));
        yield return Post("unknown field", Valid[..^1] + ""","extra":1}""");
        yield return Post("duplicate job_id field", Valid[..^1] + ""","job_id":"other"}""");
        yield return Post("duplicate data field", Valid[..^1] + ""","data":2}""");
        yield return Post("invalid priority", Valid[..^1] + ""","priority":"urgent"}""");
        yield return Post("priority is a number", Valid[..^1] + ""","priority":1}""");

        // Identifiers that could break or inject into a Redis key, a hash tag or a URL.
        yield return Post("job_id with ':'", With("job_id", "\"seeded:status\""));
        yield return Post("job_id with '*'", With("job_id", "\"seed*\""));
        yield return Post("job_id with '{'", With("job_id", "\"{seeded\""));
        yield return Post("job_id with '}'", With("job_id", "\"seeded}\""));
        yield return Post("job_id with a space", With("job_id", "\"seeded job\""));
        yield return Post("job_id with a tab", With("job_id", "\"seeded\\tjob\""));
        yield return Post("job_id with a newline", With("job_id", "\"seeded\\njob\""));
        yield return Post("job_id with a control character", With("job_id", "\"seeded\\u0001\""));
        yield return Post("job_id with a NUL", With("job_id", "\"seeded\\u0000\""));
        yield return Post("job_id with a non-ASCII letter", With("job_id", "\"seedé\""));
        yield return Post("job_id with an emoji", With("job_id", "\"seed\\ud83d\\ude00\""));
        yield return Post("job_id with '/'", With("job_id", "\"../seeded\""));
        yield return Post("empty job_id", With("job_id", "\"\""));
        yield return Post("job_id of 129 characters", With("job_id", "\"" + new string('j', 129) + "\""));
        yield return Post("from with ':' (key injection)", With("from", "\"client:{seeded}\""));
        yield return Post("from with a space", With("from", "\"cli ent\""));
        yield return Post("cmd of 129 characters", With("cmd", "\"" + new string('c', 129) + "\""));
        yield return Post("to with '*'", With("to", "\"*\""));

        // Size and media type.
        yield return Post("body over MaxBodyBytes with Content-Length", With("data", "\"" + new string('x', MaxBodyBytes) + "\""));
        yield return new BadRequest("body over MaxBodyBytes, chunked", HttpMethod.Post, "/sys_cmd")
        {
            Body = Encoding.UTF8.GetBytes(With("data", "\"" + new string('x', 4 * MaxBodyBytes) + "\"")),
            ContentType = "application/json",
            Chunked = true,
        };
        yield return Post("Content-Type text/plain", Valid, mediaType: "text/plain");
        yield return Post("Content-Type application/xml", Valid, mediaType: "application/xml");
        yield return Post("Content-Type application/x-www-form-urlencoded", Valid, mediaType: "application/x-www-form-urlencoded");

        // Bad ?wait= values.
        yield return Post("wait=abc", Valid, "?wait=abc");
        yield return Post("wait=-1", Valid, "?wait=-1");
        yield return Post("wait=-5s", Valid, "?wait=-5s");
        yield return Post("wait=1e308", Valid, "?wait=1e308");
        yield return Post("wait=NaN", Valid, "?wait=NaN");
        yield return Post("wait=Infinity", Valid, "?wait=Infinity");
        yield return Post("wait far beyond MaxWait", Valid, "?wait=99999999999999999999");
        yield return Post("wait=31s, over MaxWait", Valid, "?wait=31s");
        yield return Post("wait=5h, an unknown unit", Valid, "?wait=5h");
        yield return Post("wait given twice", Valid, "?wait=1s&wait=2s");

        // Batches: all or nothing, so one bad command leaves every good one of its batch unwritten.
        yield return Batch("an object, not an array", Fresh(1));
        yield return Batch("an empty array", "[]");
        yield return Batch("truncated JSON", "[" + Fresh(1));
        yield return Batch($"more than MaxBatchCommands ({MaxBatchCommands})", "[" + string.Join(",", Enumerable.Range(1, MaxBatchCommands + 1).Select(n => Fresh(n))) + "]");
        yield return Batch("a bad job_id among good commands", $"[{Fresh(1)},{With("job_id", "\"bad:id\"")},{Fresh(2)}]");
        yield return Batch("a command missing cmd", $"[{Fresh(1)},{With("cmd", null)}]");
        yield return Batch("an element that is not an object", $"[{Fresh(1)},42]");
        yield return Batch("the same job twice", $"[{Fresh(1)},{Fresh(1, "2")}]");
        yield return Batch("a command over MaxBodyBytes", $"[{Fresh(1)},{Fresh(2, "\"" + new string('x', MaxBodyBytes) + "\"")}]");
        yield return Batch("a body over MaxBatchBodyBytes", "[" + string.Join(",", Enumerable.Range(1, MaxBatchCommands).Select(n => Fresh(n, "\"" + new string('x', 900) + "\""))) + "]");
        yield return Batch("Content-Type text/plain", $"[{Fresh(1)}]", mediaType: "text/plain");
        yield return Batch("wait=abc", $"[{Fresh(1)}]", "?wait=abc");
        yield return Batch("unknown Operation header", $"[{Fresh(1)}]") with { Headers = [new("Operation", "sideways")] };

        // Bad reads.
        yield return Get("GET with ':' in from", "/jobs/client:x/seeded");
        yield return Get("GET with ':' in job_id", "/jobs/client/seeded:status");
        yield return Get("GET with '*' in job_id", "/jobs/client/%2A");
        yield return Get("GET with braces in job_id", "/jobs/client/%7Bseeded%7D");
        yield return Get("GET with a space in job_id", "/jobs/client/seeded%20x");
        yield return Get("GET with a newline in job_id", "/jobs/client/seeded%0A");
        yield return Get("GET with a non-ASCII job_id", "/jobs/client/seed%C3%A9");
        yield return Get("GET with a 129-character job_id", "/jobs/client/" + new string('j', 129));
        yield return Get("GET with wait=abc", "/jobs/client/seeded?wait=abc");
        yield return Get("GET with wait=-1", "/jobs/client/seeded?wait=-1");
        yield return Get("GET with wait=1e308", "/jobs/client/seeded?wait=1e308");
        yield return Get("GET of a path with too many segments", "/jobs/client/seeded/extra");
        yield return Post("PUT on /sys_cmd", Valid) with { Method = HttpMethod.Put };
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Should_answer_4xx_with_problem_details_and_leave_redis_unchanged(BadRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var before = await _deployment.SnapshotAsync();

        using var message = request.Build();
        using var response = await _deployment.Client.SendAsync(message);
        var reply = await Reply.ReadAsync(response);

        var after = await _deployment.SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Code, Is.InRange(400, 499), reply.ToString());
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"), reply.ToString());
            Assert.That(reply.Field("title"), Is.Not.Null.And.Not.Empty, reply.ToString());
            Assert.That(reply.Field("detail"), Is.Not.Null.And.Not.Empty, reply.ToString());
            Assert.That(reply.Has("status") ? reply.Get("status").GetInt32() : -1, Is.EqualTo(reply.Code), "ProblemDetails status");
            Assert.That(after.ChangesSince(before), Is.Empty, "Redis changed");
        }

        await TestContext.Out.WriteLineAsync($"{reply.Code} {reply.Field("title")}: {reply.Field("detail")}");
    }

    [Test]
    public async Task Should_have_kept_the_seeded_job_as_it_was()
    {
        var reply = await SysCmdHttp.PostAsync(_deployment.Client, Valid);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Accepted), reply.Text);
            Assert.That(reply.State, Is.Zero);
            Assert.That(reply.Attempts, Is.Zero);
        }
    }

    /// <summary>The UTF-8 bytes of <paramref name="json"/> with each 'é' (C3 A9) broken into C3 28, which is not UTF-8.</summary>
    private static byte[] InvalidUtf8In(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == 0xC3 && bytes[i + 1] == 0xA9)
            {
                bytes[i + 1] = 0x28;
            }
        }

        return bytes;
    }
}
