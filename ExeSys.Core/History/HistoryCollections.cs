using MongoDB.Bson;
using MongoDB.Driver;

namespace ExeSys.Core.History;

/// <summary>
/// The history's two collections and their indexes. Documents carry a deterministic key (<c>ref</c> for jobs,
/// <c>key</c> for activity) that every write upserts on, so archiving the same job twice changes nothing; the
/// <c>_id</c> stays the server's ObjectId.
/// </summary>
public sealed class HistoryCollections(ExeSysMongo mongo)
{
    public const string JobsName = "jobs";
    public const string ActivityName = "activity";

    public IMongoCollection<BsonDocument> Jobs => mongo.Database.GetCollection<BsonDocument>(JobsName);

    public IMongoCollection<BsonDocument> Activity => mongo.Database.GetCollection<BsonDocument>(ActivityName);

    /// <summary>
    /// Creates the indexes (idempotent). The README's "History indexes" table lists them and the query each serves.
    /// The TTL indexes expire documents at their <c>expires</c> time; documents without one (HistoryTtl 0) are kept.
    /// </summary>
    public async Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        var job = Builders<BsonDocument>.IndexKeys;
        await Jobs.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Ref), new CreateIndexOptions { Unique = true, Name = "ref_unique" }),
            new CreateIndexModel<BsonDocument>(job.Descending(HistoryFields.Finished).Ascending(HistoryFields.Ref), new CreateIndexOptions { Name = "finished_ref" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.From).Descending(HistoryFields.Finished).Ascending(HistoryFields.Ref), new CreateIndexOptions { Name = "from_finished_ref" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Cmd).Descending(HistoryFields.Finished).Ascending(HistoryFields.Ref), new CreateIndexOptions { Name = "cmd_finished_ref" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.State).Descending(HistoryFields.Finished).Ascending(HistoryFields.Ref), new CreateIndexOptions { Name = "state_finished_ref" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Expires), new CreateIndexOptions { ExpireAfter = TimeSpan.Zero, Name = "expires_ttl" }),
        ], cancellationToken);
        await Activity.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Key), new CreateIndexOptions { Unique = true, Name = "key_unique" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Ref).Ascending(HistoryFields.Seq), new CreateIndexOptions { Name = "ref_seq" }),
            new CreateIndexModel<BsonDocument>(job.Ascending(HistoryFields.Expires), new CreateIndexOptions { ExpireAfter = TimeSpan.Zero, Name = "expires_ttl" }),
        ], cancellationToken);
    }
}

/// <summary>Field names of the history documents, shared by the controller (writer) and the API (reader).</summary>
public static class HistoryFields
{
    public const string Ref = "ref";
    public const string Key = "key";
    public const string Seq = "seq";
    public const string From = "from";
    public const string JobId = "job_id";
    public const string Kind = "kind";
    public const string To = "to";
    public const string Cmd = "cmd";
    public const string Data = "data";
    public const string Priority = "priority";
    public const string State = "state";
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Started = "started";
    public const string Finished = "finished";
    public const string Attempts = "attempts";
    public const string Worker = "worker";
    public const string Error = "error";
    public const string Errors = "errors";
    public const string Result = "result";
    public const string Timeline = "timeline";
    public const string Nodes = "nodes";
    public const string Phase = "phase";
    public const string Archived = "archived";
    public const string Expires = "expires";
    public const string Name = "name";
    public const string Node = "node";
    public const string Event = "event";
    public const string Time = "time";
    public const string Attempt = "attempt";
    public const string Skipped = "skipped";
    public const string Next = "next";
}
