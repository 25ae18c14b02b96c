using System.Text.Json;
using ExeSys.Core.Registry;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IProcessRegistry"/> on Redis: a sorted set of members (score = heartbeat deadline) and a hash of their
/// adverts per role. Every heartbeat prunes lapsed members, so nothing ever scans for them. Each instance of it (one per
/// process) has a random token, which the registry keeps with the id it holds: two processes started with one id
/// cannot both be live members (registry_heartbeat.lua).
/// </summary>
public sealed class RedisProcessRegistry(IConnectionMultiplexer redis, RedisKeys keys) : IProcessRegistry
{
    private readonly string _instance = Guid.NewGuid().ToString("N");

    public async Task<HeartbeatReply> HeartbeatAsync(ProcessAdvert advert, TimeSpan ttl)
    {
        var (members, details) = KeysFor(advert.Role);
        var json = JsonSerializer.Serialize(advert, RegistryJsonContext.Default.ProcessAdvert);
        var db = redis.GetDatabase();
        if (advert.Queues is { Count: > 0 } queues)
        {
            // Remembered for good (a handful of names): a queue whose workers have all gone is still looked after.
            _ = db.SetAddAsync(keys.KnownQueues, [.. queues.Select(q => (RedisValue)q)], CommandFlags.FireAndForget);
        }

        var reply = (RedisResult[])(await db.EvaluateAsync(
            LuaScripts.RegistryHeartbeat, [members, details], [advert.Id, (long)ttl.TotalMilliseconds, json, _instance]))!;
        return (int)reply[0] == 1 ? new HeartbeatReply(true, TimeSpan.Zero) : new HeartbeatReply(false, TimeSpan.FromMilliseconds((long)reply[1]));
    }

    public Task LeaveAsync(ProcessRole role, string id)
    {
        var (members, details) = KeysFor(role);
        return redis.GetDatabase().EvaluateAsync(LuaScripts.RegistryLeave, [members, details], [id, _instance]);
    }

    public async Task<IReadOnlyList<ProcessAdvert>> GetLiveAsync(ProcessRole role)
    {
        var (members, details) = KeysFor(role);
        var flat = (RedisResult[])(await redis.GetDatabase().EvaluateAsync(LuaScripts.RegistryLive, [members, details]))!;
        var live = new List<ProcessAdvert>(flat.Length / 2);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            var json = (string?)flat[i + 1];
            if (!string.IsNullOrEmpty(json) && JsonSerializer.Deserialize(json, RegistryJsonContext.Default.ProcessAdvert) is { } advert)
            {
                live.Add(advert);
            }
        }

        return live;
    }

    private (RedisKey Members, RedisKey Details) KeysFor(string role) =>
        KeysFor(role == "controller" ? ProcessRole.Controller : ProcessRole.Worker);

    private (RedisKey Members, RedisKey Details) KeysFor(ProcessRole role) => role switch
    {
        ProcessRole.Controller => (keys.Controllers, keys.ControllerDetails),
        _ => (keys.Workers, keys.WorkerFunctions),
    };
}
