using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ExeSys.Core.Auth;
using ExeSys.Core.Schedules;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IScheduleStore"/> on Redis: every schedule key in the <c>{schedules}</c> slot (<see cref="ScheduleKeys"/>),
/// every change one script (Scripts/schedule_*.lua). The controller's work per tick is a fixed number of scripts per
/// batch of schedules: take, fire, settle (and one look at lapsed pending firings), whatever the number of schedules;
/// nothing scans.
/// </summary>
public sealed class RedisScheduleStore(IConnectionMultiplexer redis, RedisKeys keys, RedisClock clock, IOptions<ScheduleOptions> options) : IScheduleStore
{
    /// <summary>How a definition is stored: snake_case enums (skip, buffer_one, fire_once, ...).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ScheduleOptions _options = options.Value;

    private ScheduleKeys K => keys.Schedules;

    private IDatabase Db => redis.GetDatabase();

    private long LeaseMs => (long)_options.Lease.TotalMilliseconds;

    internal static ScheduleDefinition Parse(string json) => JsonSerializer.Deserialize<ScheduleDefinition>(json, Json)!;

    private static RedisValue Ms(long? ms) => ms is { } v ? v : RedisValue.EmptyString;

    private static ScheduleSaveOutcome Outcome(RedisResult reply) => (string?)reply switch
    {
        "ok" => ScheduleSaveOutcome.Saved,
        "exists" => ScheduleSaveOutcome.Exists,
        "full" => ScheduleSaveOutcome.Full,
        _ => ScheduleSaveOutcome.Missing,
    };

    public async Task<ScheduleSaveOutcome> SaveAsync(ScheduleDefinition definition, bool create, long? nextMs, bool? paused) =>
        Outcome(await Db.EvaluateAsync(LuaScripts.ScheduleSave, [K.Due, K.Names, K.TenantNames],
        [
            K.Base, definition.Name, create ? "create" : "update", JsonSerializer.Serialize(definition, Json), Ms(nextMs),
            Ms(nextMs is { } n ? ScheduleTimes.Due(definition, n) : null), _options.MaxSchedules, clock.NowMs,
            paused switch { true => "1", false => "0", _ => "" },
        ]));

    public async Task<StoredSchedule?> GetAsync(string name)
    {
        var db = Db;
        var hash = db.HashGetAllAsync(K.Schedule(name));
        var runs = db.ListRangeAsync(K.Runs(name));
        return Read(await hash, await runs);
    }

    private static StoredSchedule? Read(HashEntry[] hash, RedisValue[] runs)
    {
        var h = hash.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        if (!h.TryGetValue("def", out var def))
        {
            return null;
        }

        long? Long(string field) => h.TryGetValue(field, out var v) && long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new StoredSchedule(Parse(def!), Long("next"), h.ContainsKey("paused"), h.TryGetValue("last", out var last) ? (string?)last : null,
            Long("buf"), Long("ct") ?? 0, Long("ut") ?? 0,
            [.. runs.Select(r => ((string)r!).Split('|')).Select(p => new ScheduleRun(long.Parse(p[0], CultureInfo.InvariantCulture), p[1], p[2]))]);
    }

    /// <summary>
    /// The default tenant's schedules are the whole of <see cref="ScheduleKeys.Names"/>; another tenant's, the lex range
    /// [<c>t~</c>, <c>t\x7f</c>) of <see cref="ScheduleKeys.TenantNames"/> ('~' is 0x7E and every identifier character is
    /// below it, so nothing else falls in it). Either way a page costs one range read of O(log N + limit), one count
    /// (ZCARD, or ZLEXCOUNT: O(log N)) and a hash and list read per schedule, pipelined; nothing is skipped over.
    /// </summary>
    public async Task<ScheduleListing> ListAsync(string tenant, string? after, int limit)
    {
        var db = Db;
        Task<RedisValue[]> names;
        Task<long> total;
        if (TenantIds.IsDefault(tenant))
        {
            names = db.SortedSetRangeByValueAsync(K.Names, after is null ? default : after, default, after is null ? Exclude.None : Exclude.Start, Order.Ascending, 0, limit);
            total = db.SortedSetLengthAsync(K.Names);
        }
        else
        {
            var first = TenantIds.Qualify(tenant, "");
            var end = tenant + "\u007f";
            names = db.SortedSetRangeByValueAsync(K.TenantNames, after ?? first, end, after is null ? Exclude.Stop : Exclude.Both, Order.Ascending, 0, limit);
            total = db.SortedSetLengthByValueAsync(K.TenantNames, first, end, Exclude.Stop);
        }

        var page = await names;
        var reads = page.Select(n => (db.HashGetAllAsync(K.Schedule((string)n!)), db.ListRangeAsync(K.Runs((string)n!)))).ToList();
        var list = new List<StoredSchedule>(reads.Count);
        foreach (var (hash, runs) in reads)
        {
            if (Read(await hash, await runs) is { } s)
            {
                list.Add(s);
            }
        }

        return new ScheduleListing(list, await total, page.Length == limit ? (string?)page[^1] : null);
    }

    private async Task<ScheduleSaveOutcome> ControlAsync(string name, string action, long? nextMs, long? dueMs) =>
        Outcome(await Db.EvaluateAsync(LuaScripts.ScheduleControl, [K.Due, K.Names, K.TenantNames], [K.Base, name, action, Ms(nextMs), Ms(dueMs)]));

    public Task<ScheduleSaveOutcome> PauseAsync(string name) => ControlAsync(name, "pause", null, null);

    public Task<ScheduleSaveOutcome> ResumeAsync(string name, ScheduleDefinition definition, long? nextMs) =>
        ControlAsync(name, "resume", nextMs, nextMs is { } n ? ScheduleTimes.Due(definition, n) : null);

    public Task<ScheduleSaveOutcome> DeleteAsync(string name) => ControlAsync(name, "delete", null, null);

    public async Task<ScheduleSaveOutcome> TriggerAsync(string name, long fireMs) =>
        Outcome(await Db.EvaluateAsync(LuaScripts.ScheduleTrigger, [K.Pending], [K.Base, name, fireMs, clock.NowMs]));

    public async Task<IReadOnlyList<DueSchedule>> TakeDueAsync(int max)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ScheduleTake, [K.Due], [K.Base, clock.NowMs, max, LeaseMs]))!;
        var due = new List<DueSchedule>(reply.Length / 3);
        for (var i = 0; i < reply.Length; i += 3)
        {
            due.Add(new DueSchedule((string)reply[i]!, Definition((string)reply[i + 1]!), (long)reply[i + 2]));
        }

        return due;
    }

    public async Task<IReadOnlyList<Firing>> FireAsync(IReadOnlyList<PlannedFiring> planned)
    {
        if (planned.Count == 0)
        {
            return [];
        }

        var args = new List<RedisValue>(3 + (planned.Count * 5)) { K.Base, clock.NowMs, LeaseMs };
        var byName = new Dictionary<string, ScheduleDefinition>(StringComparer.Ordinal);
        foreach (var p in planned)
        {
            args.Add(p.Schedule.Name);
            args.Add(p.Schedule.FireMs);
            args.Add(Ms(p.NextMs));
            args.Add(Ms(p.NextDueMs));
            args.Add(string.Join(',', p.Fires.Select(f => f.ToString(CultureInfo.InvariantCulture))));
            byName[p.Schedule.Name] = p.Schedule.Definition;
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ScheduleFire, [K.Due, K.Pending], [.. args]))!;
        var firings = new List<Firing>(reply.Length / 4);
        for (var i = 0; i < reply.Length; i += 4)
        {
            var name = (string)reply[i]!;
            firings.Add(new Firing(name, (long)reply[i + 1], byName[name], Text(reply[i + 2]), LongOrNull(reply[i + 3])));
        }

        return firings;
    }

    public async Task<IReadOnlyList<Firing>> TakePendingAsync(int max)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.SchedulePending, [K.Pending], [K.Base, clock.NowMs, max, LeaseMs]))!;
        var firings = new List<Firing>(reply.Length / 5);
        for (var i = 0; i < reply.Length; i += 5)
        {
            firings.Add(new Firing((string)reply[i]!, (long)reply[i + 1], Definition((string)reply[i + 2]!), Text(reply[i + 3]), LongOrNull(reply[i + 4])));
        }

        return firings;
    }

    public Task SettleAsync(IReadOnlyList<SettledFiring> settled, TimeSpan recheck)
    {
        if (settled.Count == 0)
        {
            return Task.CompletedTask;
        }

        var args = new List<RedisValue>(4 + (settled.Count * 4)) { K.Base, clock.NowMs, _options.RunsKept, (long)recheck.TotalMilliseconds };
        foreach (var s in settled)
        {
            args.Add(s.Name);
            args.Add(s.FireMs);
            args.Add(s.Outcome);
            args.Add(s.JobId);
        }

        return Db.EvaluateAsync(LuaScripts.ScheduleSettle, [K.Pending], [.. args]);
    }

    private static string? Text(RedisResult r) => (string?)r is { Length: > 0 } s ? s : null;

    private static long? LongOrNull(RedisResult r) => (string?)r is { Length: > 0 } s ? long.Parse(s, CultureInfo.InvariantCulture) : null;

    /// <summary>Parsed definitions by their JSON text: 100,000 schedules firing every minute are not parsed again each time.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ScheduleDefinition> _parsed = new(StringComparer.Ordinal);

    private ScheduleDefinition Definition(string json)
    {
        if (_parsed.TryGetValue(json, out var d))
        {
            return d;
        }

        if (_parsed.Count > 2 * _options.MaxSchedules)
        {
            // Old texts of updated schedules pile up: start afresh.
            _parsed.Clear();
        }

        return _parsed[json] = Parse(json);
    }
}
