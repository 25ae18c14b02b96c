using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Requests;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Twelve thousand generated bad requests (mutated commands, batches and graphs, with bad edge conditions, retries,
/// timeouts and start lists, broken JSON, random bytes, forbidden and odd-Unicode ids, huge and deeply nested bodies,
/// wrong media types and methods, bad ?wait, stops of bad or unknown jobs) against a real API
/// process with a worker behind it, many at once. Every one must get a 4xx, never a 5xx or a hang, and Redis must
/// not change. A second test sends bad history queries and cursors to an API with MongoDB history on. The seed is
/// fixed and printed; EXESYS_FUZZ_SEED replays another.
/// </summary>
[TestFixture]
public sealed class Sending_bad_input_at_volume
{
    private const int DefaultSeed = 20_240_605;
    private const int Requests = 12_000;
    private const int HistoryRequests = 3_000;
    private const string ExistingFrom = "fuzz-client";
    private const string ExistingJobId = "existing-job";

    [Test]
    public async Task Should_refuse_every_request_with_a_4xx_and_leave_redis_unchanged()
    {
        var seed = await SeedAsync();
        var settings = FuzzSettings("fuzz");
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var worker = deployment.StartWorker("fuzz-worker");
        await deployment.WaitForWorkerAsync(worker);
        var existing = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(ExistingFrom, ExistingJobId, "echo", "{\"kept\":true}"), "?wait=10s");
        Assert.That(existing.State, Is.EqualTo(3), existing.Text);
        await Eventually.WaitForAsync(deployment.QueueSizesAsync, q => q == (0, 0, 0), TimeSpan.FromSeconds(10), "the queue to settle");

        var requests = new BadRequestGenerator(seed, ExistingFrom, ExistingJobId).Generate(Requests).ToList();
        // Live processes rewrite their liveness all the time; everything else under the prefix must stay as it is.
        var before = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, settings.Prefix, KeyspaceSnapshot.IsJobState);

        var answers = await SendAllAsync(deployment.BaseAddress, requests);
        var after = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, settings.Prefix, KeyspaceSnapshot.IsJobState);

        var serverErrors = answers.Where(a => a.Status >= 500).ToList();
        var unanswered = answers.Where(a => a.Status == 0).ToList();
        var accepted = answers.Where(a => a.Status is >= 200 and < 300).ToList();
        var notProblems = NotProblems(answers);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answers, Has.Count.EqualTo(Requests));
            Assert.That(serverErrors, Is.Empty, "5xx:" + Describe(serverErrors));
            Assert.That(unanswered, Is.Empty, "no answer (a hang, or a dropped connection):" + Describe(unanswered));
            Assert.That(accepted, Is.Empty, "a bad request was accepted:" + Describe(accepted));
            Assert.That(notProblems, Is.Empty, "a client error without a ProblemDetails body:" + Describe(notProblems));
            Assert.That(after.ChangesSince(before), Is.Empty, "Redis changed under the prefix");
            Assert.That(worker.HasExited, Is.False);
        }
    }

    /// <summary>
    /// The history API's query (from, state, cmd, since, until, limit) and cursor parameters, and its job reads, on an
    /// API with MongoDB history on: a bad one is a 4xx ProblemDetails, an odd but valid one a 200 (a read), never a
    /// 5xx; and Redis does not change.
    /// </summary>
    [Test]
    public async Task Should_answer_every_history_query_with_a_4xx_or_a_2xx_and_leave_redis_unchanged()
    {
        var seed = await SeedAsync();
        await using var congo = await CongoServer.StartAsync();
        var settings = FuzzSettings("fuzzhist").With("ExeSys:Mongo:TimeoutMs", "2000");
        await using var deployment = await ExeSysDeployment.Build(settings).WithMongo(congo.ConnectionString, "exesys_fuzz").StartAsync();
        var requests = new BadRequestGenerator(seed, ExistingFrom, ExistingJobId).GenerateHistory(HistoryRequests).ToList();
        var before = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, settings.Prefix, KeyspaceSnapshot.IsJobState);

        var answers = await SendAllAsync(deployment.BaseAddress, requests);
        var after = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, settings.Prefix, KeyspaceSnapshot.IsJobState);

        var serverErrors = answers.Where(a => a.Status >= 500).ToList();
        var unanswered = answers.Where(a => a.Status == 0).ToList();
        var otherThanOkOr4xx = answers.Where(a => a.Status is not (200 or (>= 400 and < 500))).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answers, Has.Count.EqualTo(HistoryRequests));
            Assert.That(serverErrors, Is.Empty, "5xx:" + Describe(serverErrors));
            Assert.That(unanswered, Is.Empty, "no answer (a hang, or a dropped connection):" + Describe(unanswered));
            Assert.That(otherThanOkOr4xx, Is.Empty, "neither a 200 read nor a refusal:" + Describe(otherThanOkOr4xx));
            Assert.That(NotProblems(answers), Is.Empty, "a client error without a ProblemDetails body:" + Describe(NotProblems(answers)));
            Assert.That(answers.Where(a => a.Status == 400), Is.Not.Empty, "the generator made no bad query at all");
            Assert.That(after.ChangesSince(before), Is.Empty, "Redis changed under the prefix");
        }
    }

    /// <summary>
    /// A body over the limit is refused with 413 before it is read. The connection must then either be usable for the
    /// next request or be announced as closing (Connection: close), so that a client does not send its next request
    /// into a connection the server is about to drop.
    /// </summary>
    [Test]
    public async Task Should_answer_the_next_request_on_a_connection_after_refusing_an_oversized_body()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("keepalive"))
            .With("ExeSys:Api:MaxBodyBytes", BadRequestGenerator.MaxBodyBytes.ToString(CultureInfo.InvariantCulture));
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        using var client = NewClient(deployment.BaseAddress, 1);
        var oversized = SysCmdHttp.Command("c", "big", "echo", $"\"{new string('x', 100_000)}\"");

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var refused = await SysCmdHttp.PostAsync(client, oversized);
            answers.Add($"{(int)refused.Status}");
            try
            {
                var next = await SysCmdHttp.PostAsync(client, "{\"from\":1}");
                answers.Add($"{(int)next.Status}");
            }
            catch (HttpRequestException ex)
            {
                answers.Add($"dropped ({ex.InnerException?.Message ?? ex.Message})");
            }
        }

        Assert.That(string.Join(" ", answers), Is.EqualTo("413 400 413 400 413 400"));
    }

    private static async Task<int> SeedAsync()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("EXESYS_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        await TestContext.Out.WriteLineAsync($"Seed {seed} (replay with EXESYS_FUZZ_SEED={seed})");
        return seed;
    }

    private static TestSettings FuzzSettings(string prefix) =>
        TestSettings.For(TestRedis.NewPrefix(prefix))
            .With("ExeSys:Api:MaxBodyBytes", BadRequestGenerator.MaxBodyBytes.ToString(CultureInfo.InvariantCulture))
            .With("ExeSys:Api:MaxBatchCommands", BadRequestGenerator.MaxBatchCommands.ToString(CultureInfo.InvariantCulture))
            .With("ExeSys:Jobs:MaxIdLength", BadRequestGenerator.MaxIdLength.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sends every request, many at once, and prints how each category was answered.</summary>
    private static async Task<List<(BadRequest Request, int Status, string? MediaType, string Body)>> SendAllAsync(Uri baseAddress, List<BadRequest> requests)
    {
        var answers = new ConcurrentBag<(BadRequest Request, int Status, string? MediaType, string Body)>();
        var clock = Stopwatch.StartNew();
        using var client = NewClient(baseAddress, 32);
        // Bodies over the limit go on connections of their own: the API refuses them before reading them, and the
        // connection then closes under the next request (see the keep-alive test below).
        using var oversizedClient = NewClient(baseAddress, 8);
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (request, token) =>
        {
            var oversized = request.Body?.Length > BadRequestGenerator.MaxBodyBytes;
            answers.Add(await SendAsync(oversized ? oversizedClient : client, request, token));
        });
        var took = clock.Elapsed;

        await TestContext.Out.WriteLineAsync($"{answers.Count} requests in {took.TotalSeconds:0.0} s ({answers.Count / took.TotalSeconds:0} per second)");
        foreach (var category in answers.GroupBy(a => a.Request.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var statuses = category.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}");
            await TestContext.Out.WriteLineAsync($"  {category.Key,-28} {category.Count(),5}: {string.Join(" ", statuses)}");
        }

        return [.. answers];
    }

    /// <summary>
    /// Client errors without a ProblemDetails body. Two refusals happen before ExeSys sees the request, so they cannot
    /// carry one: Kestrel's own 400 for a NUL in the path, and a 413 the client saw as a connection closed while it was
    /// still sending.
    /// </summary>
    private static List<(BadRequest Request, int Status, string? MediaType, string Body)> NotProblems(
        IEnumerable<(BadRequest Request, int Status, string? MediaType, string Body)> answers) =>
        [.. answers.Where(a => a.Status is 400 or 404 or 409 or 413 or 415 or 422 && a.MediaType != "application/problem+json")
            .Where(a => !a.Request.PathAndQuery.Contains("%00", StringComparison.Ordinal) && a.MediaType is not null)];

    private static HttpClient NewClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            // Header values outside ASCII (a bad auth header may hold one) go out as their Latin-1 bytes, as a raw
            // client would send them, instead of being refused by HttpClient before they reach the server.
            RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.Latin1,
        })
        { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };


    private static async Task<(BadRequest, int, string?, string)> SendAsync(HttpClient client, BadRequest bad, CancellationToken token)
    {
        using var request = bad.Build();
        try
        {
            using var response = await client.SendAsync(request, token);
            var body = await response.Content.ReadAsStringAsync(token);
            return (bad, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // A connection that carried a body over the limit is dropped after its 413, sometimes under the next
            // oversized request, sometimes while this one is still being sent: counted as the 413 it is.
            var message = ex.InnerException is { } inner ? $"{ex.Message} ({inner.GetType().Name}: {inner.Message})" : ex.Message;
            return ex is HttpRequestException && bad.Body?.Length > BadRequestGenerator.MaxBodyBytes ? (bad, 413, null, message) : (bad, 0, null, message);
        }
    }

    private static string Describe(IEnumerable<(BadRequest Request, int Status, string? MediaType, string Body)> answers) =>
        string.Concat(answers.Take(15).Select(a => $"{Environment.NewLine}  {a.Status} {a.MediaType} {Truncate(a.Body)} <- {a.Request.Describe()}"));

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "..." : text;
}
