using ExeSys.Core.History;
using MongoDB.Bson;

namespace ExeSys.Api.Security;

/// <summary>
/// Every operator action (stop, pause, resume, cancel, key and definition changes, queue pause and resume) with the
/// name of the key that did it: a structured log line, and, with MongoDB history on, a document in the history
/// database's <c>audit</c> collection ({time, action, target, key, key_id, tenant}). A MongoDB outage loses the
/// document, never the action: the log line is written first.
/// </summary>
public sealed class AuditTrail(ExeSysMongo mongo, TimeProvider time, ILogger<AuditTrail> logger)
{
    public const string CollectionName = "audit";

    public async Task RecordAsync(Caller caller, string action, string target)
    {
        logger.LogInformation("Audit: {Action} {Target} by key {KeyName} ({KeyId}, tenant {Tenant})", action, target, caller.Name, caller.KeyId, caller.Tenant);
        if (!mongo.Enabled)
        {
            return;
        }

        try
        {
            await mongo.Database.GetCollection<BsonDocument>(CollectionName).InsertOneAsync(new BsonDocument
            {
                ["time"] = time.GetUtcNow().UtcDateTime,
                ["action"] = action,
                ["target"] = target,
                ["key"] = caller.Name,
                ["key_id"] = caller.KeyId,
                ["tenant"] = caller.Tenant,
            });
        }
        catch (Exception ex) when (ex is MongoDB.Driver.MongoException or TimeoutException)
        {
            logger.LogWarning("Audit: {Action} {Target} could not be archived to MongoDB: {Reason}", action, target, ex.Message);
        }
    }
}
