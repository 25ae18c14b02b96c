using ExeSys.Bench.Load;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>A finished job as ExeSys left it: its status hash (the result included) and its TTL.</summary>
internal sealed record JobTemplate(HashEntry[] Status, TimeSpan? StatusTtl);

/// <summary>
/// Fills Redis with finished jobs quickly. Running a million jobs through ExeSys would take minutes, so the bench
/// copies one job that ExeSys really ran, field for field and with its TTLs, under new job ids. Key names come from
/// <see cref="RedisKeys"/>, the product's own key builder; the copies are what ExeSys would have left behind.
/// </summary>
internal static class RetainedJobs
{
    private const int JobsPerScript = 1_000;
    private const int ScriptsInFlight = 4;

    // KEYS: the status key of each job.
    // ARGV: status TTL ms ('0' = none), then the status hash's field/value pairs.
    private const string CloneScript = """
        local fields = {}
        for i = 2, #ARGV do
          fields[#fields + 1] = ARGV[i]
        end
        for i = 1, #KEYS do
          redis.call('HSET', KEYS[i], unpack(fields))
          if ARGV[1] ~= '0' then
            redis.call('PEXPIRE', KEYS[i], ARGV[1])
          end
        end
        return #KEYS
        """;

    public static async Task<JobTemplate> ReadTemplateAsync(IDatabase db, RedisKeys keys, string jobId)
    {
        var job = new JobRef(JobClient.From, jobId);
        var status = await db.HashGetAllAsync(keys.Status(job));
        if (status.Length == 0)
        {
            throw new InvalidOperationException($"The finished job {job} that the retained jobs copy is not in Redis (key {keys.Status(job)}).");
        }

        return new JobTemplate(status, await db.KeyTimeToLiveAsync(keys.Status(job)));
    }

    public static IEnumerable<string> JobIds(string prefix, int count) => Enumerable.Range(0, count).Select(i => LoadRunner.JobId(prefix, i));

    public static async Task WriteAsync(IDatabase db, RedisKeys keys, JobTemplate template, IEnumerable<string> jobIds, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue> { Milliseconds(template.StatusTtl) };
        foreach (var field in template.Status)
        {
            args.Add(field.Name);
            args.Add(field.Value);
        }

        RedisValue[] argv = [.. args];
        var pending = new List<Task>(ScriptsInFlight);
        foreach (var chunk in jobIds.Chunk(JobsPerScript))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var jobKeys = chunk.Select(id => keys.Status(new JobRef(JobClient.From, id))).ToArray();

            pending.Add(db.ScriptEvaluateAsync(CloneScript, jobKeys, argv));
            if (pending.Count == ScriptsInFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    private static RedisValue Milliseconds(TimeSpan? ttl) => ttl is { } t ? (long)t.TotalMilliseconds : 0;
}
