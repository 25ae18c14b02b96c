using System.Globalization;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using ExeSys.Bench.Target;
using StackExchange.Redis;

namespace ExeSys.Bench.Measurement;

/// <summary>
/// Counts the commands each client sends, apart from those its Lua scripts run, with Redis MONITOR. MONITOR prints
/// a command that a client sent as <c>[0 127.0.0.1:PORT] "cmd" ...</c> and one run inside a script as
/// <c>[0 lua] "cmd" ...</c>, right after the EVALSHA that ran it. INFO commandstats cannot tell the two apart.
/// MONITOR slows Redis down, so it only runs in a separate, untimed pass.
/// </summary>
internal sealed class CommandMonitor : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly IDatabase _bench;
    private readonly string _marker = $"exesys-bench-{Guid.NewGuid():N}";
    private readonly Dictionary<string, string> _roleByAddress;
    private readonly Task _loop;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CommandMonitor(TcpClient tcp, StreamReader reader, IDatabase bench, Dictionary<string, string> roleByAddress)
    {
        _tcp = tcp;
        _reader = reader;
        _bench = bench;
        _roleByAddress = roleByAddress;
        _loop = Task.Run(ReadLoopAsync);
    }

    /// <summary>SHA1 → name of each ExeSys Lua script, from the scripts embedded in ExeSys.Core.</summary>
    private static readonly Dictionary<string, string> ScriptNames = LoadScriptNames();

    /// <summary>Client commands by role (api, worker, controller, other), then by command name.</summary>
    public Dictionary<string, Dictionary<string, long>> ClientCommands { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Each call of a script named in <see cref="RecordScripts"/>: when Redis ran it (its clock, in µs since the
    /// Unix epoch, as MONITOR prints it), the script's name and its first key.
    /// </summary>
    public List<(long UnixMicros, string Script, string FirstKey)> ScriptCalls { get; } = [];

    /// <summary>Scripts whose calls go to <see cref="ScriptCalls"/>; set before the pass starts.</summary>
    public IReadOnlySet<string> RecordScripts { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Also record, under the name <see cref="StartCall"/>, each job's move to state 2: a script's
    /// <c>HSET &lt;status key&gt; st 2</c>, whichever script ran it (job_start, a claim that starts what it takes, or a
    /// submit that hands its job to an idle worker).
    /// </summary>
    public bool RecordStarts { get; set; }

    public const string StartCall = "start";

    /// <summary>Commands run inside Lua, by the role of the client whose script ran them, then by that script.</summary>
    public Dictionary<string, Dictionary<string, long>> LuaCommands { get; } = new(StringComparer.Ordinal);

    public static async Task<CommandMonitor> StartAsync(string endpoint, ConnectionMultiplexer redis, IReadOnlyList<ProcessRef> processes)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var roleByPid = processes.ToDictionary(p => p.Pid, p => p.Role);
        var roleByAddress = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var client in await server.ClientListAsync())
        {
            var name = client.Name ?? "";
            roleByAddress[client.Address?.ToString() ?? ""] =
                name == "exesys-bench" ? "bench"
                : name.StartsWith("exesys-", StringComparison.Ordinal) &&
                  int.TryParse(name["exesys-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                  roleByPid.TryGetValue(pid, out var role) ? role
                : "other";
        }

        var separator = endpoint.LastIndexOf(':');
        var tcp = new TcpClient { NoDelay = true };
        StreamReader? reader = null;
        try
        {
            await tcp.ConnectAsync(endpoint[..separator], int.Parse(endpoint[(separator + 1)..], CultureInfo.InvariantCulture));
            await tcp.GetStream().WriteAsync("MONITOR\r\n"u8.ToArray());

            // MONITOR is in force once Redis has answered +OK. A marker sent before that, over the bench's other
            // connection, could overtake it and never be seen.
            reader = new StreamReader(tcp.GetStream(), Encoding.UTF8, false, 1 << 16);
            var reply = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            if (reply != "+OK")
            {
                throw new InvalidOperationException($"Redis refused MONITOR: {reply}");
            }
        }
        catch
        {
            reader?.Dispose();
            tcp.Dispose();
            throw;
        }

        var monitor = new CommandMonitor(tcp, reader, redis.GetDatabase(), roleByAddress);

        // Counting starts at this marker: what came before belongs to no pass.
        await monitor._bench.ExecuteAsync("ECHO", monitor._marker + "-start");
        await monitor._started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return monitor;
    }

    /// <summary>Stops counting at a marker sent after everything the pass did.</summary>
    public async Task StopAsync()
    {
        await _bench.ExecuteAsync("ECHO", _marker + "-end");
        await _loop.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task ReadLoopAsync()
    {
        var counting = false;
        var lastRole = "other";
        var lastCommand = "?";
        while (await _reader.ReadLineAsync() is { } line)
        {
            if (line.Contains(_marker, StringComparison.Ordinal))
            {
                if (line.Contains(_marker + "-start", StringComparison.Ordinal))
                {
                    counting = true;
                    _started.TrySetResult();
                    continue;
                }

                return;
            }

            // +1700000000.123456 [0 127.0.0.1:54321] "evalsha" "..."
            var open = line.IndexOf(" [", StringComparison.Ordinal);
            var close = open < 0 ? -1 : line.IndexOf("] ", open, StringComparison.Ordinal);
            if (!counting || close < 0)
            {
                continue;
            }

            var source = line[(open + 2)..close];
            var address = source[(source.IndexOf(' ', StringComparison.Ordinal) + 1)..];
            if (address == "lua")
            {
                Increment(LuaCommands, lastRole, lastCommand);
                if (RecordStarts && JobStart(line, open, close) is { } start)
                {
                    ScriptCalls.Add((start.UnixMicros, StartCall, start.FirstKey));
                }

                continue;
            }

            lastRole = _roleByAddress.GetValueOrDefault(address, "other");
            var nameStart = close + 3;
            var nameEnd = line.IndexOf('"', nameStart);
            var command = nameEnd > nameStart ? line[nameStart..nameEnd].ToLowerInvariant() : "?";
            if (command is "evalsha" && line.Length > nameEnd + 43)
            {
                // "evalsha" "<40 hex digits>": name the script, so each step of a job shows separately.
                var sha = line.Substring(nameEnd + 3, 40);
                var script = ScriptNames.GetValueOrDefault(sha, sha);
                command = $"evalsha:{script}";
                if (RecordScripts.Contains(script) && ScriptCall(line, open, nameEnd + 45) is { } call)
                {
                    ScriptCalls.Add((call.UnixMicros, script, call.FirstKey));
                }
            }
            lastCommand = command;
            Increment(ClientCommands, lastRole, command);
        }
    }

    /// <summary>From <c>+1700000000.123456 [0 lua] "HSET" "key" "st" "2" ...</c>: the time and the key, else null.</summary>
    private static (long UnixMicros, string FirstKey)? JobStart(string line, int open, int close)
    {
        const string hset = "\"hset\" \"";
        var keyStart = close + 2 + hset.Length;
        if (!line.AsSpan(close + 2).StartsWith(hset, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var keyEnd = line.IndexOf('"', keyStart);
        return keyEnd > 0 && line.AsSpan(keyEnd).StartsWith("\" \"st\" \"2\"", StringComparison.Ordinal) &&
               Time(line, open) is { } micros
            ? (micros, line[keyStart..keyEnd])
            : null;
    }

    /// <summary>The time at the start of a MONITOR line (<c>+1700000000.123456</c>), in µs since the Unix epoch.</summary>
    private static long? Time(string line, int open)
    {
        var dot = line.IndexOf('.', StringComparison.Ordinal);
        return line[0] == '+' && dot > 0 && dot < open &&
               long.TryParse(line.AsSpan(1, dot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) &&
               long.TryParse(line.AsSpan(dot + 1, open - dot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            ? (seconds * 1_000_000) + micros
            : null;
    }

    /// <summary>From <c>+1700000000.123456 [0 addr] "evalsha" "sha" "3" "key1" ...</c>: the time and key1 (keys hold no quotes or spaces).</summary>
    private static (long UnixMicros, string FirstKey)? ScriptCall(string line, int open, int afterSha)
    {
        if (Time(line, open) is not { } micros)
        {
            return null;
        }

        // "numkeys" "key1": skip the numkeys token, then take the next quoted one.
        var numkeysEnd = line.IndexOf('"', line.IndexOf('"', afterSha) + 1);
        var keyStart = numkeysEnd < 0 ? -1 : line.IndexOf('"', numkeysEnd + 1);
        var keyEnd = keyStart < 0 ? -1 : line.IndexOf('"', keyStart + 1);
        return keyEnd < 0 ? null : (micros, line[(keyStart + 1)..keyEnd]);
    }

    private static void Increment(Dictionary<string, Dictionary<string, long>> counts, string role, string command)
    {
        if (!counts.TryGetValue(role, out var byCommand))
        {
            counts[role] = byCommand = new Dictionary<string, long>(StringComparer.Ordinal);
        }

        byCommand[command] = byCommand.GetValueOrDefault(command) + 1;
    }

    /// <summary>Round trips (client commands) and commands inside Lua per job, in total, per role and per script; the bench's own are left out.</summary>
    public void AddFigures(Figures figures, int jobs)
    {
        var total = 0L;
        foreach (var (role, byCommand) in ClientCommands.Where(c => c.Key != "bench"))
        {
            var sum = byCommand.Values.Sum();
            total += sum;
            figures[$"redis_round_trips_per_job_{role}"] = (double)sum / jobs;
            foreach (var (command, count) in byCommand)
            {
                figures[$"redis_round_trips_per_job_{role}_{command}"] = (double)count / jobs;
            }
        }

        var lua = 0L;
        foreach (var (role, byScript) in LuaCommands.Where(c => c.Key != "bench"))
        {
            lua += byScript.Values.Sum();
            foreach (var (script, count) in byScript)
            {
                figures[$"redis_lua_cmds_per_job_{role}_{script}"] = (double)count / jobs;
            }
        }

        figures["redis_round_trips_per_job"] = (double)total / jobs;
        figures["redis_lua_cmds_per_job"] = (double)lua / jobs;
        figures["redis_cmds_per_job_monitor"] = (double)(total + lua) / jobs;
    }

    /// <summary>
    /// Redis names a script by the SHA1 of its text. The raw files embedded in ExeSys.Core name a script that is sent
    /// as it is; ExeSys.Core's internal LuaScripts table, read by reflection, names the texts as really sent (it may
    /// prepend shared helpers). A script neither knows keeps its SHA1.
    /// </summary>
    private static Dictionary<string, string> LoadScriptNames()
    {
        const string Prefix = "ExeSys.Scripts.";
        var core = typeof(ExeSys.Core.Redis.RedisKeys).Assembly;
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var resource in core.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = core.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            names[Sha1(reader.ReadToEnd())] = Path.GetFileNameWithoutExtension(resource[Prefix.Length..]);
        }

        var table = core.GetType("ExeSys.Core.Redis.LuaScripts");
        foreach (var field in table?.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) ?? [])
        {
            if (field.GetValue(null) is ExeSys.Core.Redis.RedisScript script)
            {
                names[Convert.ToHexStringLower(script.Hash)] = script.Name;
            }
        }

        return names;
    }

#pragma warning disable CA5350 // SHA1 is what Redis names scripts by, not a security measure.
    private static string Sha1(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose(); // ends MONITOR; the read loop sees the stream close
        try
        {
            await _loop;
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _reader.Dispose();
    }
}
