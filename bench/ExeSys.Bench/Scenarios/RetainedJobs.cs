using ExeSys.Bench.Load;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>A finished job's keys as ExeSys left them: its status hash, its data_available value and their TTLs.</summary>
internal sealed record JobTemplate(HashEntry[] Status, TimeSpan? StatusTtl, RedisValue DataAvailable, TimeSpan? DataTtl);

/// <summary>
/// Fills Redis with finished jobs quickly. Running a million jobs through ExeSys would take minutes, so the bench
/// copies one job that ExeSys really ran, field for field and with its TTLs, under new job ids. Key names come from
/// <see cref="RedisKeys"/>, the product's own key builder; the copies are what ExeSys would have left behind.
/// </summary>
internal static class RetainedJobs
{
    private const int JobsPerScript = 1_000;
    private const int ScriptsInFlight = 4;

    // KEYS: status and data_available key of each job, in pairs.
    // ARGV: status TTL ms ('0' = none), '1' if there is a data_available value, that value, its TTL ms ('0' = none),
    //       then the status hash's field/value pairs.
    private const string CloneScript = """
        local fields = {}
        for i = 5, #ARGV do
          fields[#fields + 1] = ARGV[i]
        end
        for i = 1, #KEYS, 2 do
          redis.call('HSET', KEYS[i], unpack(fields))
          if ARGV[1] ~= '0' then
            redis.call('PEXPIRE', KEYS[i], ARGV[1])
          end
          if ARGV[2] == '1' then
            if ARGV[4] ~= '0' then
              redis.call('SET', KEYS[i + 1], ARGV[3], 'PX', ARGV[4])
            else
              redis.call('SET', KEYS[i + 1], ARGV[3])
            end
          end
        end
        return #KEYS / 2
        """;

    public static async Task<JobTemplate> ReadTemplateAsync(IDatabase db, RedisKeys keys, string jobId)
    {
        var job = new JobRef(JobClient.From, jobId);
        var status = await db.HashGetAllAsync(keys.Status(job));
        if (status.Length == 0)
        {
            throw new InvalidOperationException($"The finished job {job} that the retained jobs copy is not in Redis (key {keys.Status(job)}).");
        }

        return new JobTemplate(
            status,
            await db.KeyTimeToLiveAsync(keys.Status(job)),
            await db.StringGetAsync(keys.DataAvailable(job)),
            await db.KeyTimeToLiveAsync(keys.DataAvailable(job)));
    }

    public static IEnumerable<string> JobIds(string prefix, int count) => Enumerable.Range(0, count).Select(i => LoadRunner.JobId(prefix, i));

    public static async Task WriteAsync(IDatabase db, RedisKeys keys, JobTemplate template, IEnumerable<string> jobIds, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>
        {
            Milliseconds(template.StatusTtl),
            template.DataAvailable.IsNull ? "0" : "1",
            template.DataAvailable.IsNull ? RedisValue.EmptyString : template.DataAvailable,
            Milliseconds(template.DataTtl),
        };
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
            var jobKeys = new RedisKey[chunk.Length * 2];
            for (var i = 0; i < chunk.Length; i++)
            {
                var job = new JobRef(JobClient.From, chunk[i]);
                jobKeys[2 * i] = keys.Status(job);
                jobKeys[(2 * i) + 1] = keys.DataAvailable(job);
            }

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
