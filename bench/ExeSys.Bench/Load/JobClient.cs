using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ExeSys.Bench.Load;

/// <summary>The outcome of one job as the client saw it.</summary>
internal readonly record struct JobOutcome(bool Done, string? Error);

/// <summary>
/// Submits jobs to <c>POST /sys_cmd?wait=5s</c> over keep-alive HTTP/1.1 connections and returns when the reply
/// carries the job's result. One <see cref="HttpClient"/>, at most <c>connections</c> sockets.
/// </summary>
internal sealed class JobClient : IDisposable
{
    public const string From = "bench";
    private const string Wait = "5s";
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] DoneMarker = "\"resp\":\"data_available\""u8.ToArray();
    private static readonly TimeSpan ResultDeadline = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;
    private readonly Uri _submit;
    private readonly Uri _submitWorkflow;
    private readonly Uri _submitBatch;
    private readonly Uri _api;

    public JobClient(Uri api, int connections, string? apiKey = null)
    {
        _api = api;
        _submit = new Uri(api, $"/sys_cmd?wait={Wait}");
        _submitWorkflow = new Uri(api, $"/workflows?wait={Wait}");
        _submitBatch = new Uri(api, $"/sys_cmd/batch?wait={Wait}");
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = HttpVersion.Version11,
        };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    /// <summary>The body of an <c>echo</c> job: <c>{"from","to","cmd","data","job_id"}</c> with <paramref name="dataJson"/> as data.</summary>
    /// <param name="concurrencyKey">When given, the job also carries <c>concurrency_key</c> and <c>concurrency_limit</c>: a limited job.</param>
    public static byte[] EchoBody(string jobId, string dataJson, string? concurrencyKey = null, int concurrencyLimit = 1)
    {
        var buffer = new ArrayBufferWriter<byte>(dataJson.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("from", From);
            writer.WriteString("to", "end_job");
            writer.WriteString("cmd", "echo");
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson, skipInputValidation: true);
            writer.WriteString("job_id", jobId);
            if (concurrencyKey is not null)
            {
                writer.WriteString("concurrency_key", concurrencyKey);
                writer.WriteNumber("concurrency_limit", concurrencyLimit);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Submits one job and waits for its result in the same call; a reply without it (the wait ran out) is followed
    /// by GET ?wait. Done means HTTP 200, data_available, this job's id and echo's data.
    /// </summary>
    /// <param name="expectedData">The compact JSON that echo must return.</param>
    public Task<JobOutcome> SubmitAndWaitAsync(string jobId, byte[] body, string expectedData, CancellationToken cancellationToken) =>
        PostAndWaitAsync(_submit, jobId, body, expectedData, cancellationToken);

    /// <summary>
    /// Starts a workflow run with <c>POST /workflows?wait=5s</c> and waits for its result the same way; the run is an
    /// ordinary job at <see cref="From"/>/<paramref name="jobId"/>. Done means HTTP 200, data_available, this run's id
    /// and, if given, <paramref name="expectedData"/> as the EOJ. Whether every node really ran is for the caller to
    /// check in the graph (<see cref="GetWorkflowAsync"/>).
    /// </summary>
    public Task<JobOutcome> SubmitWorkflowAndWaitAsync(string jobId, byte[] body, string? expectedData, CancellationToken cancellationToken) =>
        PostAndWaitAsync(_submitWorkflow, jobId, body, expectedData, cancellationToken);

    /// <summary>
    /// Submits echo jobs as one <c>POST /sys_cmd/batch?wait=5s</c> and waits for all their results in that call. Done
    /// means HTTP 200, every job data_available with its own id and echo's data, in the batch's order.
    /// </summary>
    public async Task<JobOutcome> SubmitBatchAndWaitAsync(IReadOnlyList<string> jobIds, byte[] body, string expectedData, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _submitBatch) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            var (status, reply) = await SendAsync(request, cancellationToken);
            if (status != HttpStatusCode.OK)
            {
                return new JobOutcome(false, $"batch of {jobIds.Count} from {jobIds[0]}: HTTP {(int)status}: {Snippet(reply)}");
            }

            using var doc = JsonDocument.Parse(reply);
            using var expected = JsonDocument.Parse(expectedData);
            var index = 0;
            foreach (var item in doc.RootElement.GetProperty("jobs").EnumerateArray())
            {
                var job = item.TryGetProperty("job", out var j) ? j : default;
                if (index >= jobIds.Count || job.ValueKind != JsonValueKind.Object ||
                    job.GetProperty("resp").GetString() != "data_available" || job.GetProperty("job_id").GetString() != jobIds[index] ||
                    !JsonElement.DeepEquals(job.GetProperty("data"), expected.RootElement))
                {
                    return new JobOutcome(false, $"batch job {index} ({(index < jobIds.Count ? jobIds[index] : "extra")}) is not done with its own data: {item}");
                }

                index++;
            }

            return index == jobIds.Count
                ? new JobOutcome(true, null)
                : new JobOutcome(false, $"batch of {jobIds.Count} from {jobIds[0]}: {index} answers");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new JobOutcome(false, $"batch from {jobIds[0]}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary><c>GET /workflows/bench/{jobId}</c>: the run's phase and every node's state, attempts and times.</summary>
    public async Task<WorkflowGraphState> GetWorkflowAsync(string jobId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_api, $"/workflows/{From}/{jobId}"));
        var (status, reply) = await SendAsync(request, cancellationToken);
        return status == HttpStatusCode.OK
            ? WorkflowGraphState.Parse(reply)
            : throw new InvalidOperationException($"GET /workflows/{From}/{jobId}: HTTP {(int)status}: {Snippet(reply)}");
    }

    private async Task<JobOutcome> PostAndWaitAsync(Uri submit, string jobId, byte[] body, string? expectedData, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, submit) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (status, reply) = await SendAsync(request, cancellationToken);
            while (status == HttpStatusCode.Accepted && System.Diagnostics.Stopwatch.GetElapsedTime(started) < ResultDeadline)
            {
                using var poll = new HttpRequestMessage(HttpMethod.Get, new Uri(_api, $"/jobs/{From}/{jobId}?wait={Wait}"));
                (status, reply) = await SendAsync(poll, cancellationToken);
            }

            if (status == HttpStatusCode.OK && reply.AsSpan().IndexOf(DoneMarker) >= 0)
            {
                // The reply must be this job's, with echo's result: a mixed-up reply is a failure, not a fast job.
                return reply.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"\"job_id\":\"{jobId}\"")) >= 0 &&
                       (expectedData is null || reply.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"\"data\":{expectedData}")) >= 0)
                    ? new JobOutcome(true, null)
                    : new JobOutcome(false, $"job {jobId}: the reply is not this job's or does not echo its data: {Snippet(reply)}");
            }

            return new JobOutcome(false, $"job {jobId}: HTTP {(int)status}: {Snippet(reply)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new JobOutcome(false, $"job {jobId}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static string Snippet(byte[] reply) => Encoding.UTF8.GetString(reply, 0, Math.Min(reply.Length, 600));

    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    public void Dispose() => _http.Dispose();
}
