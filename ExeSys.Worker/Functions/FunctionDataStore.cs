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
    private readonly Lazy<ConnectionMultiplexer> _connection;
    private readonly Lazy<IDatabase> _database;

    public FunctionDataStore(IOptions<FunctionDataStoreOptions> options, IOptions<RedisOptions> redis)
    {
        var store = options.Value;
        var connection = store.Connection.Length > 0 ? store.Connection : redis.Value.Connection;
        _connection = new Lazy<ConnectionMultiplexer>(() =>
        {
            var config = ConfigurationOptions.Parse(connection);
            config.AbortOnConnectFail = false;
            config.ConnectTimeout = redis.Value.ConnectTimeoutMs;
            config.ClientName ??= $"exesys-functions-{Environment.ProcessId}";
            return ConnectionMultiplexer.Connect(config);
        });
        _database = new Lazy<IDatabase>(() =>
        {
            var database = _connection.Value.GetDatabase(store.Database);
            return store.KeyPrefix.Length > 0 ? database.WithKeyPrefix(store.KeyPrefix) : database;
        });
    }

    /// <summary>The database functions see, prefixed if configured. The first read connects.</summary>
    public IDatabase Database => _database.Value;

    public void Dispose()
    {
        if (_connection.IsValueCreated)
        {
            _connection.Value.Dispose();
        }
    }
}
