extern alias worker;
using ExeSys.Core.Configuration;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using FunctionDataStore = worker::ExeSys.Worker.Functions.FunctionDataStore;
using FunctionDataStoreOptions = worker::ExeSys.Worker.Functions.FunctionDataStoreOptions;

namespace ExeSys.Tests.Modules;

/// <summary>Where FunctionContext.DataStore writes, against the real test redis-server.</summary>
[TestFixture]
public sealed class Configuring_the_function_data_store
{
    [Test]
    public async Task Should_write_under_the_key_prefix_when_one_is_set()
    {
        var prefix = $"{TestRedis.NewPrefix("fn")}:";
        using var store = Create(new FunctionDataStoreOptions { Database = 0, KeyPrefix = prefix });

        await (await store.GetDatabaseAsync()).StringSetAsync("greeting", "hi");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await TestRedis.Connection.GetDatabase(0).StringGetAsync($"{prefix}greeting"), Is.EqualTo((RedisValue)"hi"));
            Assert.That(await (await store.GetDatabaseAsync()).StringGetAsync("greeting"), Is.EqualTo((RedisValue)"hi"), "the function reads its own keys without the prefix");
        }
    }

    [Test]
    public async Task Should_use_database_1_of_the_exesys_server_by_default()
    {
        var key = $"{TestRedis.NewPrefix("fn")}:default";
        using var store = Create(new FunctionDataStoreOptions());

        await (await store.GetDatabaseAsync()).StringSetAsync(key, "1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await TestRedis.Connection.GetDatabase(1).KeyExistsAsync(key), Is.True);
            Assert.That(await TestRedis.Connection.GetDatabase(0).KeyExistsAsync(key), Is.False);
        }
    }

    private static FunctionDataStore Create(FunctionDataStoreOptions options) =>
        new(Options.Create(options), Options.Create(new RedisOptions { Connection = TestRedis.Endpoint }));
}
