using System.Diagnostics;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Resilience;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Polly;

namespace ExeSys.Controller.Archiving;

/// <summary>
/// One archive pass: the only code in ExeSys that writes to MongoDB. Its checkpoints, in order:
/// <list type="number">
/// <item>claim a bounded batch from the archive backlog under a lease (another controller takes it only after the lease);</item>
/// <item>read each job, or the whole graph run of a node, from its own slot (one script each, pipelined);</item>
/// <item>upsert the job documents and activity entries, keyed by ref and by ref|node|event|attempt, so a repeat changes nothing;</item>
/// <item>only then give the job's keys the hot retention and leave a tombstone (fenced: a run still running keeps its keys);</item>
/// <item>then drop the backlog entries.</item>
/// </list>
/// A crash anywhere leaves the entries on the backlog, and the next pass repeats the idempotent steps.
/// </summary>
public sealed class HistoryArchiver
{
    private readonly IArchiveSource _backlog;
    private readonly HistoryCollections _collections;
    private readonly MongoOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HistoryArchiver> _logger;
    private readonly ResiliencePipeline _mongoRetry;
    private static readonly BulkWriteOptions Unordered = new() { IsOrdered = false };
    private bool _indexesReady;

    public HistoryArchiver(IArchiveSource backlog, HistoryCollections collections, IOptions<MongoOptions> options, TimeProvider time, ILogger<HistoryArchiver> logger)
    {
        _backlog = backlog;
        _collections = collections;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _mongoRetry = MongoBackoff.Create(logger, "Archiver");
    }

    /// <summary>Jobs archived since start; health and tests read it.</summary>
    public long Archived => Interlocked.Read(ref _archived);

    private long _archived;

    /// <summary>Archives one batch; returns how many backlog entries it handled (0 when the backlog had none due).</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (!_indexesReady)
        {
            await _mongoRetry.ExecuteAsync(ct => new ValueTask(_collections.EnsureIndexesAsync(ct)), cancellationToken);
            _indexesReady = true;
        }

        var claimed = await _backlog.ClaimAsync(_options.ArchiveBatch, _options.ArchiveLease);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        var items = await Task.WhenAll(claimed.Select(_backlog.ReadAsync));

        // Several nodes of one run in a batch archive the run once.
        var toArchive = new Dictionary<string, ArchiveItem>(StringComparer.Ordinal);
        foreach (var item in items.Where(i => i.Kind != ArchiveItemKind.Gone))
        {
            toArchive[item.Job.Member] = item;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var jobs = new List<WriteModel<BsonDocument>>(toArchive.Count);
        var activity = new List<WriteModel<BsonDocument>>(toArchive.Count * 3);
        foreach (var item in toArchive.Values)
        {
            var (doc, events) = HistoryDocuments.Build(item, now, _options.HistoryTtl);
            jobs.Add(new ReplaceOneModel<BsonDocument>(Builders<BsonDocument>.Filter.Eq(HistoryFields.Ref, item.Job.Member), doc) { IsUpsert = true });
            activity.AddRange(events.Select(e =>
                new ReplaceOneModel<BsonDocument>(Builders<BsonDocument>.Filter.Eq(HistoryFields.Key, e[HistoryFields.Key].AsString), e) { IsUpsert = true }));
        }

        if (jobs.Count > 0)
        {
            await _mongoRetry.ExecuteAsync(async ct =>
            {
                await _collections.Jobs.BulkWriteAsync(jobs, Unordered, ct);
                if (activity.Count > 0)
                {
                    await _collections.Activity.BulkWriteAsync(activity, Unordered, ct);
                }
            }, cancellationToken);
        }

        // Ended jobs may now leave Redis after the hot retention; a run still running keeps its keys (the script checks).
        await Task.WhenAll(toArchive.Values.Where(i => i.Ended).Select(_backlog.MarkArchivedAsync));
        var cascade = items.SelectMany(i => i.Cascade).ToList();
        await _backlog.AddAsync(cascade);
        await _backlog.AckAsync(claimed);

        Interlocked.Add(ref _archived, toArchive.Count);
        _logger.LogInformation("Archived {Count} job(s) from {Entries} backlog entries in {Ms:0.0} ms.",
            toArchive.Count, claimed.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return claimed.Count;
    }
}
