using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace ExeSys.Core.History;

/// <summary>A connection string MongoDB.Driver cannot parse stops the process at start (exit 2), naming the setting.</summary>
internal sealed class MongoOptionsValidator : IValidateOptions<MongoOptions>
{
    public ValidateOptionsResult Validate(string? name, MongoOptions options)
    {
        if (string.Equals(options.FunctionsDatabase, options.Database, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Fail(
                $"ExeSys:Mongo:FunctionsDatabase must differ from ExeSys:Mongo:Database ('{options.Database}'), so functions' collections stay apart from ExeSys's history.");
        }

        if (string.IsNullOrEmpty(options.User) != string.IsNullOrEmpty(options.Password))
        {
            return ValidateOptionsResult.Fail(
                "ExeSys:Mongo:User and ExeSys:Mongo:Password go together: give both (the password by environment variable, ExeSys__Mongo__Password), or neither.");
        }

        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            _ = MongoUrl.Create(options.ConnectionString);
            return ValidateOptionsResult.Success;
        }
#pragma warning disable CA1031 // The driver throws several exception types for a malformed URL; each means the same thing here.
        catch (Exception ex)
#pragma warning restore CA1031
        // MongoDB.Driver's message shows the string with its user and password as <hidden> (a test holds it to that).
        {
            return ValidateOptionsResult.Fail(
                $"ExeSys:Mongo:ConnectionString is not a valid MongoDB connection string ({ex.Message}). Use mongodb://host:27017, or leave it empty to run without MongoDB.");
        }
    }
}
