using System.Text.Json;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Core.Auth;

/// <summary>
/// The API keys in Redis, all in the <c>{auth}</c> slot: <c>P:{auth}:keys</c> (id → record JSON, secret hashed),
/// <c>P:{auth}:revoked</c> (id → Redis ms) and <c>P:{auth}:version</c>, counted up by every change, which is also
/// published on <c>P:events:auth</c>. Each change is one script; API processes hold the table in memory and read it
/// again on a publish or when the version moved, so no request costs a Redis call.
/// </summary>
public sealed class RedisApiKeyStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    public RedisChannel Channel => keys.AuthChannel;

    private RedisKey[] Keys => [keys.AuthKeys, keys.AuthRevoked, keys.AuthVersion];

    /// <summary>Stores a new key. With <paramref name="onlyIfNone"/>, only when no key exists at all (the bootstrap key: one atomic step, whichever API process is first).</summary>
    public async Task<bool> CreateAsync(ApiKeyRecord record, bool onlyIfNone = false) =>
        (int)await Db.EvaluateAsync(LuaScripts.KeySave, Keys,
            [record.Id, JsonSerializer.Serialize(record, ApiKeyJsonContext.Default.ApiKeyRecord), keys.AuthChannelName, onlyIfNone ? "1" : "0"]) == 1;

    /// <summary>Revokes a key: 1 revoked now, 2 it already was, 0 there is no such key.</summary>
    public async Task<int> RevokeAsync(string id) =>
        (int)await Db.EvaluateAsync(LuaScripts.KeyRevoke, Keys, [id, keys.AuthChannelName]);

    public async Task<long> VersionAsync() => (long?)await Db.StringGetAsync(keys.AuthVersion) ?? 0;

    /// <summary>
    /// The whole table. The version is read first: a change that lands between the reads leaves a newer table under
    /// an older version, which the next version check reads again.
    /// </summary>
    public async Task<ApiKeyTableSnapshot> LoadAsync()
    {
        var db = Db;
        var version = await VersionAsync();
        var records = await db.HashGetAllAsync(keys.AuthKeys);
        var revoked = (await db.HashGetAllAsync(keys.AuthRevoked)).ToDictionary(e => (string)e.Name!, e => (long)e.Value, StringComparer.Ordinal);
        var list = new List<StoredApiKey>(records.Length);
        foreach (var entry in records)
        {
            if (JsonSerializer.Deserialize((string)entry.Value!, ApiKeyJsonContext.Default.ApiKeyRecord) is { } record)
            {
                list.Add(new StoredApiKey(record, revoked.TryGetValue(record.Id, out var at) ? at : null));
            }
        }

        return new ApiKeyTableSnapshot(version, [.. list.OrderBy(k => k.Record.CreatedMs).ThenBy(k => k.Record.Id, StringComparer.Ordinal)]);
    }
}
