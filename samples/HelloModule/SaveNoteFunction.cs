using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.FunctionalModules;
using MongoDB.Bson;
using MongoDB.Driver;

namespace HelloModule;

/// <summary>
/// <c>save_note</c>: stores the text in <c>data</c> in the MongoDB collection <c>notes</c> and returns how many notes
/// there are. Shows <see cref="FunctionContext.Mongo"/>, which is there when ExeSys runs with MongoDB.
/// </summary>
public sealed class SaveNoteFunction : IExeSysFunction
{
    public string Name => "save_note";

    public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.String)
        {
            throw new FunctionException("save_note needs data to be the note's text (a string).");
        }

        var mongo = context.Mongo ?? throw new FunctionException("save_note needs MongoDB: start ExeSys with ExeSys__Mongo__ConnectionString set.");
        var notes = mongo.GetCollection<BsonDocument>("notes");
        await notes.InsertOneAsync(new BsonDocument { ["text"] = context.Data.GetString(), ["job_id"] = context.JobId }, cancellationToken: context.CancellationToken);
        var count = await notes.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: context.CancellationToken);
        return new JsonObject { ["saved"] = context.Data.GetString(), ["notes"] = count };
    }
}
