using System.Globalization;
using System.Text.Json;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Queues;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>Reads the replies and messages of the job scripts: the one place their wire formats are parsed.</summary>
internal static class RedisReplies
{
    /// <summary>
    /// Reads name, priority, cmd, q groups (from index <paramref name="from"/>), the jobs a script moved to state 0,
    /// as jobs to enqueue: each in the queue its submit named (q), else its function's routed queue.
    /// </summary>
    public static List<QueuedJob> Promoted(RedisResult[] reply, int from, string jobId, JobLanes lanes)
    {
        var jobs = new List<QueuedJob>();
        for (var i = from; i + 3 < reply.Length; i += 4)
        {
            jobs.Add(lanes.Queued(new JobRef((string)reply[i]!, jobId), ParsePriority(reply[i + 1]), (string)reply[i + 2]!, (string?)reply[i + 3]));
        }

        return jobs;
    }

    public static long ParseLong(RedisResult value) =>
        long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public static int ParseInt(RedisResult value) =>
        int.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public static JobPriority ParsePriority(RedisResult value) =>
        int.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && Enum.IsDefined((JobPriority)p)
            ? (JobPriority)p
            : JobPriority.Normal;

    /// <summary>The number of values <see cref="ReadSnapshot"/> reads: <see cref="JobHash.SnapshotFields"/>.</summary>
    public static int SnapshotFields => JobHash.SnapshotFields.Length;

    /// <summary>
    /// Reads <see cref="JobHash.SnapshotFields"/>, in that order, from <paramref name="offset"/> of a script reply: each
    /// value at its field's place there (<see cref="Place"/>), so that list is the one definition of the order.
    /// </summary>
    public static JobSnapshot ReadSnapshot(JobRef job, RedisResult[] r, int offset) => new(
        job,
        (JobState)(int)r[offset + Place.State],
        (string)r[offset + Place.To]!,
        (string)r[offset + Place.Cmd]!,
        (string)r[offset + Place.Data]!,
        ParsePriority(r[offset + Place.Priority]),
        (long)r[offset + Place.Created],
        (long)r[offset + Place.Updated],
        (int)r[offset + Place.Attempts],
        OptionalText(r, offset + Place.Error),
        OptionalText(r, offset + Place.Worker),
        ExtractResult(OptionalText(r, offset + Place.Result)),
        OptionalText(r, offset + Place.RetryAt) is { } retryAt ? long.Parse(retryAt, NumberStyles.Integer, CultureInfo.InvariantCulture) : null,
        OptionalText(r, offset + Place.Errors) is { } errors ? JsonSerializer.Deserialize(errors, CoreJsonContext.Default.ListString) : null,
        OptionalText(r, offset + Place.Progress));

    /// <summary>The text at <paramref name="index"/> of a reply, or null when it is absent (false) or past the reply's end.</summary>
    private static string? OptionalText(RedisResult[] r, int index) => index < r.Length && !r[index].IsNull ? (string?)r[index] : null;

    /// <summary>Where each field of a snapshot sits in a reply: its place in <see cref="JobHash.SnapshotFields"/>.</summary>
    private static class Place
    {
        public static readonly int State = Of(JobHash.State);
        public static readonly int To = Of(JobHash.To);
        public static readonly int Cmd = Of(JobHash.Cmd);
        public static readonly int Data = Of(JobHash.Data);
        public static readonly int Priority = Of(JobHash.Priority);
        public static readonly int Created = Of(JobHash.Created);
        public static readonly int Updated = Of(JobHash.Updated);
        public static readonly int Attempts = Of(JobHash.Attempts);
        public static readonly int Error = Of(JobHash.Error);
        public static readonly int Worker = Of(JobHash.Worker);
        public static readonly int Result = Of(JobHash.Result);
        public static readonly int RetryAt = Of(JobHash.RetryAt);
        public static readonly int Errors = Of(JobHash.Errors);
        public static readonly int Progress = Of(JobHash.Progress);

        private static int Of(string field) => Array.IndexOf(JobHash.SnapshotFields, field) is >= 0 and var at
            ? at
            : throw new InvalidOperationException($"JobHash.SnapshotFields lacks {field}.");
    }

    /// <summary>
    /// Reads a message of the done channel: <c>from:job_id</c>, then, when the script that finished the job sent it, a
    /// newline and the job as a JSON array in <see cref="ReadSnapshot"/>'s field order (false for a missing field).
    /// The message leaves out the job's input data, which the waiting request already has: the snapshot's
    /// <see cref="JobSnapshot.DataJson"/> is empty, for the waiter to fill in.
    /// </summary>
    public static JobFinishedMessage ReadDoneMessage(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0)
        {
            return new JobFinishedMessage(JobRef.Parse(message), null);
        }

        var job = JobRef.Parse(message[..newline]);
        using var doc = JsonDocument.Parse(message.AsMemory(newline + 1));
        var fields = doc.RootElement.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? RedisResult.Create((RedisValue)e.GetString()) : RedisResult.Create(RedisValue.Null))
            .ToArray();
        return new JobFinishedMessage(job, ReadSnapshot(job, fields, 0) with { DataJson = string.Empty });
    }

    /// <summary>data_available holds <c>{"to":...,"result":...}</c>, as in the original; the reply needs the result part.</summary>
    public static string? ExtractResult(string? dataAvailable)
    {
        if (dataAvailable is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(dataAvailable);
        return doc.RootElement.TryGetProperty("result", out var result) ? result.GetRawText() : null;
    }
}

/// <summary>A done-channel message, read.</summary>
internal readonly record struct JobFinishedMessage(JobRef Job, JobSnapshot? Snapshot);
