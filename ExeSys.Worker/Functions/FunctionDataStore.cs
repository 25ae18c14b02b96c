using ExeSys.Core.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace ExeSys.Worker.Functions;

/// <summary>
/// The functions' own Redis data store (<see cref="FunctionalModules.FunctionContext.DataStore"/>): a connection of its
/// own, so a busy function cannot hold up the worker's claims and results, opened on first use. Keys live in their own
/// database (1 by default) and, when configured, under a prefix, never among ExeSys's keys.
/// </summary>
public sealed class FunctionDataStore : IDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly FunctionDataStoreOptions _store;
    private IDatabase? _database;

    public FunctionDataStore(IOptions<FunctionDataStoreOptions> options, IOptions<RedisOptions> redis)
    {
        _store = options.Value;
        // Its own server takes its credentials and TLS from its own connection string (user=, password=, ssl=true);
        // ExeSys's server (the default) those of ExeSys:Redis (ExeSys__Redis__User, __Password, __Tls...).
        var own = _store.Connection.Length > 0;
        _connection = new Lazy<Task<ConnectionMultiplexer>>(() =>
        {
            var config = RedisConnection.Configure(own ? _store.Connection : redis.Value.Connection, redis.Value, applyAccess: !own);
            config.ClientName ??= $"exesys-functions-{Environment.ProcessId}";
            return ConnectionMultiplexer.ConnectAsync(config);
        });
    }

    /// <summary>
    /// The database functions see, prefixed if configured. The first call connects, asynchronously: a synchronous
    /// connect would hold thread-pool threads that the worker's own Redis connection needs to read its replies.
    /// </summary>
    public async ValueTask<IDatabase> GetDatabaseAsync()
    {
        if (_database is { } ready)
        {
            return ready;
        }

        var database = (await _connection.Value).GetDatabase(_store.Database);
        return _database = _store.KeyPrefix.Length > 0 ? database.WithKeyPrefix(_store.KeyPrefix) : database;
    }

    public void Dispose()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            _connection.Value.Result.Dispose();
        }
    }
}
