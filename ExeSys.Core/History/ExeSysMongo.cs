using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace ExeSys.Core.History;

/// <summary>
/// The process's one MongoDB client and database, built from <see cref="MongoOptions"/>, or nothing when MongoDB is
/// not configured. The client is created on first use; it connects in the background, so a process starts (and
/// stays up) while MongoDB is down.
/// </summary>
public sealed class ExeSysMongo(IOptions<MongoOptions> options) : IDisposable
{
    private readonly MongoOptions _options = options.Value;
    private readonly Lock _gate = new();
    private MongoClient? _client;

    public bool Enabled => _options.Enabled;

    public MongoOptions Options => _options;

    /// <summary>The configured database. Throws when MongoDB is not configured: check <see cref="Enabled"/> first.</summary>
    public IMongoDatabase Database => Client.GetDatabase(_options.Database);

    /// <summary>The database functions get (<see cref="MongoOptions.FunctionsDatabase"/>). Throws when MongoDB is not configured.</summary>
    public IMongoDatabase FunctionsDatabase => Client.GetDatabase(_options.FunctionsDatabase);

    public IMongoClient Client
    {
        get
        {
            if (!_options.Enabled)
            {
                throw new InvalidOperationException("MongoDB is not configured: set ExeSys:Mongo:ConnectionString (ExeSys__Mongo__ConnectionString).");
            }

            lock (_gate)
            {
                if (_client is null)
                {
                    var settings = MongoClientSettings.FromConnectionString(_options.ConnectionString);
                    settings.ServerSelectionTimeout = TimeSpan.FromMilliseconds(_options.TimeoutMs);
                    settings.ConnectTimeout = TimeSpan.FromMilliseconds(_options.TimeoutMs);
                    if (!string.IsNullOrEmpty(_options.User))
                    {
                        var source = _options.AuthSource ?? MongoUrl.Create(_options.ConnectionString).AuthenticationSource ?? "admin";
                        settings.Credential = MongoCredential.CreateCredential(source, _options.User, _options.Password);
                    }

                    settings.ApplicationName ??= $"exesys-{Environment.ProcessId}";
                    _client = new MongoClient(settings);
                }

                return _client;
            }
        }
    }

    public void Dispose() => _client?.Dispose();
}
