using System.Globalization;
using System.Text.Json;
using ExeSys.Core.Jobs;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>Reads the replies and messages of the job scripts: the one place their wire formats are parsed.</summary>
internal static class RedisReplies
{
    /// <summary>Reads name, priority pairs (workflow jobs to enqueue) from a script reply, starting at <paramref name="from"/>.</summary>
    public static List<(JobRef, JobPriority)> NamesWithPriorities(RedisResult[] reply, int from, string jobId)
    {
        var jobs = new List<(JobRef, JobPriority)>();
        for (var i = from; i + 1 < reply.Length; i += 2)
        {
            jobs.Add((new JobRef((string)reply[i]!, jobId), ParsePriority(reply[i + 1])));
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

    /// <summary>Reads <see cref="JobHash.SnapshotFields"/>, in that order, from <paramref name="offset"/> of a script reply.</summary>
    public static JobSnapshot ReadSnapshot(JobRef job, RedisResult[] r, int offset) => new(
        job,
        (JobState)(int)r[offset],
        (string)r[offset + 1]!,
        (string)r[offset + 2]!,
        (string)r[offset + 3]!,
        ParsePriority(r[offset + 4]),
        (long)r[offset + 5],
        (long)r[offset + 6],
        (int)r[offset + 7],
        r[offset + 8].IsNull ? null : (string?)r[offset + 8],
        r[offset + 9].IsNull ? null : (string?)r[offset + 9],
        ExtractResult((string?)r[offset + 10]),
        r.Length > offset + 11 && !r[offset + 11].IsNull ? (long)r[offset + 11] : null,
        r.Length > offset + 12 && !r[offset + 12].IsNull ? JsonSerializer.Deserialize((string)r[offset + 12]!, CoreJsonContext.Default.ListString) : null,
        r.Length > offset + 13 && !r[offset + 13].IsNull ? (string?)r[offset + 13] : null);

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
