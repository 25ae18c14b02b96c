using System.Text.Json;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using ExeSys.Core.Text;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Schedules;

/// <summary>
/// Reads and checks a schedule body, every error keyed by its field (<c>cron</c>, <c>time_zone</c>, <c>end</c>,
/// <c>command.cmd</c>, ...), so a bad schedule gets one 400 that says all that is wrong, and nothing reaches Redis.
/// </summary>
public sealed class ScheduleRequestReader(
    SysCmdRequestReader commands, IWorkflowDefinitions definitions, IOptions<JobOptions> jobOptions, IOptions<ScheduleOptions> options, TimeProvider time)
{
    internal static readonly string[] Fields =
        ["name", "cron", "interval", "time_zone", "start", "end", "jitter", "overlap", "misfire", "catch_up", "max_catch_up", "command", "workflow", "paused"];

    private static readonly string[] CommandFields = ["from", "to", "cmd", "data", "queue", "priority"];
    private static readonly string[] WorkflowFields = ["from", "name", "data", "priority"];

    /// <summary>The longest jitter: a firing is due at most this long after its fire time.</summary>
    internal static readonly TimeSpan MaxJitter = TimeSpan.FromHours(1);

    /// <summary>
    /// The definition in <paramref name="root"/>, as stored for <paramref name="caller"/>'s tenant: its name and its
    /// workflow's name qualified (<see cref="Caller.Qualify"/>), so a workflow schedule runs a definition of its own
    /// tenant. <paramref name="name"/> is the route's on an update, as the client wrote it (a body's name must then
    /// match), and <paramref name="anchorMs"/> an interval schedule's anchor when it has no start (kept on update).
    /// </summary>
    public async Task<(ScheduleDefinition? Definition, bool? Paused, Dictionary<string, string[]> Errors)> ReadAsync(JsonElement root, string? name, long? anchorMs, Caller caller)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var o = options.Value;
        SysCmdRequestReader.CheckFields(root, Fields, errors);
        var maxName = jobOptions.Value.MaxIdLength - ScheduleTimes.JobIdSuffixLength;
        if (name is null)
        {
            name = SysCmdRequestReader.RequireId(root, "name", maxName, errors);
        }
        else if (root.TryGetProperty("name", out var n) && (n.ValueKind != JsonValueKind.String || n.GetString() != name))
        {
            errors["name"] = [$"'name' must be '{name}', the schedule's name in the URL, or left out."];
        }

        var cron = String(root, "cron", errors);
        var intervalText = String(root, "interval", errors);
        long? intervalMs = null;
        if ((cron is null) == (intervalText is null) && !errors.ContainsKey("cron") && !errors.ContainsKey("interval"))
        {
            errors["cron"] = ["Give either 'cron' (5 or 6 fields) or 'interval' (a duration such as \"5m\"), not both or neither."];
        }
        else if (cron is not null && ScheduleTimes.ParseCron(cron) is null)
        {
            errors["cron"] = [$"'cron' is not a cron expression Cronos reads: '{cron}'. Give 5 fields (minute hour day month weekday) or 6 (seconds first)."];
        }
        else if (intervalText is not null)
        {
            if (!DelayText.TryParseDuration(intervalText, out var interval) || interval < o.MinInterval || interval.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                errors["interval"] = [$"'interval' must be {DelayText.DurationRule}, whole seconds, at least {o.MinInterval} (ExeSys:Schedules:MinInterval)."];
            }
            else
            {
                intervalMs = (long)interval.TotalMilliseconds;
            }
        }

        var zone = String(root, "time_zone", errors) ?? "UTC";
        if (ScheduleTimes.FindZone(zone) is null)
        {
            errors["time_zone"] = [$"'time_zone' must be an IANA time zone such as \"Europe/Rome\" or \"UTC\"; '{zone}' is unknown."];
        }

        var start = Instant(root, "start", errors);
        var end = Instant(root, "end", errors);
        if (start is not null && end is not null && end <= start)
        {
            errors["end"] = ["'end' must be after 'start'."];
        }

        var jitter = Duration(root, "jitter", MaxJitter, errors) ?? TimeSpan.Zero;
        var catchUp = Duration(root, "catch_up", TimeSpan.FromDays(7), errors) ?? o.DefaultCatchUp;
        var overlap = Enum(root, "overlap", OverlapPolicy.Skip, errors);
        var misfire = Enum(root, "misfire", MisfirePolicy.Skip, errors);
        var maxCatchUp = 1;
        if (root.TryGetProperty("max_catch_up", out var m) && m.ValueKind != JsonValueKind.Null &&
            (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out maxCatchUp) || maxCatchUp < 1 || maxCatchUp > o.MaxCatchUp))
        {
            errors["max_catch_up"] = [$"'max_catch_up' must be a whole number from 1 to {o.MaxCatchUp} (ExeSys:Schedules:MaxCatchUp): how many missed firings fire_all fires."];
        }

        bool? paused = null;
        if (root.TryGetProperty("paused", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            paused = p.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
            if (paused is null)
            {
                errors["paused"] = ["'paused' must be true or false."];
            }
        }

        var hasCommand = root.TryGetProperty("command", out var c) && c.ValueKind != JsonValueKind.Null;
        var hasWorkflow = root.TryGetProperty("workflow", out var w) && w.ValueKind != JsonValueKind.Null;
        ScheduledCommand? command = null;
        ScheduledWorkflow? workflow = null;
        if (hasCommand == hasWorkflow)
        {
            errors["command"] = ["Give either 'command' (a single job: from, to, cmd, data) or 'workflow' (from, name of a definition, data)."];
        }
        else if (hasCommand)
        {
            command = ReadCommand(c, errors);
        }
        else
        {
            workflow = await ReadWorkflowAsync(w, caller, errors);
        }

        if (overlap == OverlapPolicy.CancelPrevious && hasCommand)
        {
            errors["overlap"] = ["'cancel_previous' cancels a workflow run: it needs 'workflow', not 'command'."];
        }

        if (errors.Count > 0)
        {
            return (null, paused, errors);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var definition = new ScheduleDefinition(
            caller.Qualify(name!), cron, intervalMs, zone, start?.ToUnixTimeMilliseconds(), end?.ToUnixTimeMilliseconds(),
            start?.ToUnixTimeMilliseconds() ?? anchorMs ?? (now / 1000 * 1000), (long)jitter.TotalMilliseconds, overlap, misfire,
            (long)catchUp.TotalMilliseconds, maxCatchUp, command, workflow);
        if (ScheduleTimes.Next(definition, now) is null)
        {
            errors[end is null ? (cron is null ? "start" : "cron") : "end"] = [end is null
                ? "The schedule never fires: its cron expression names no date that comes."
                : "The schedule never fires: no fire time falls between now (or 'start') and 'end'."];
            return (null, paused, errors);
        }

        return (definition, paused, errors);
    }

    private ScheduledCommand? ReadCommand(JsonElement c, Dictionary<string, string[]> errors)
    {
        if (c.ValueKind != JsonValueKind.Object)
        {
            errors["command"] = ["'command' must be an object {\"from\", \"to\", \"cmd\", \"data\"?, \"queue\"?, \"priority\"?}."];
            return null;
        }

        var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var max = jobOptions.Value.MaxIdLength;
        SysCmdRequestReader.CheckFields(c, CommandFields, found);
        var from = SysCmdRequestReader.RequireId(c, "from", max, found);
        var to = SysCmdRequestReader.RequireId(c, "to", max, found);
        var cmd = SysCmdRequestReader.RequireId(c, "cmd", max, found);
        var data = SysCmdRequestReader.ReadData(c, found);
        var priority = SysCmdRequestReader.ReadPriority(c, found);
        var queue = cmd is null ? null : commands.ReadQueue(c, cmd, found);
        Nest("command", found, errors);
        return found.Count > 0 ? null : new ScheduledCommand(from!, to!, cmd!, data!, queue, priority.ToWireName());
    }

    private async Task<ScheduledWorkflow?> ReadWorkflowAsync(JsonElement w, Caller caller, Dictionary<string, string[]> errors)
    {
        if (w.ValueKind != JsonValueKind.Object)
        {
            errors["workflow"] = ["'workflow' must be an object {\"from\", \"name\", \"data\"?, \"priority\"?}."];
            return null;
        }

        var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SysCmdRequestReader.CheckFields(w, WorkflowFields, found);
        var from = SysCmdRequestReader.RequireId(w, "from", jobOptions.Value.MaxIdLength, found);
        var name = String(w, "name", found);
        var data = SysCmdRequestReader.ReadData(w, found);
        var priority = SysCmdRequestReader.ReadPriority(w, found);
        if (name is null && !found.ContainsKey("name"))
        {
            found["name"] = ["'name' is required: the name of a registered workflow definition (GET /workflows/definitions)."];
        }
        else if (name is not null && await definitions.GetAsync(caller.Qualify(name)) is null)
        {
            found["name"] = [$"No workflow definition is named '{name}'. GET /workflows/definitions lists them."];
        }

        Nest("workflow", found, errors);
        return found.Count > 0 ? null : new ScheduledWorkflow(from!, caller.Qualify(name!), data!, priority.ToWireName());
    }

    private static void Nest(string field, Dictionary<string, string[]> found, Dictionary<string, string[]> errors)
    {
        foreach (var (key, messages) in found)
        {
            errors[$"{field}.{key}"] = messages;
        }
    }

    private static string? String(JsonElement root, string field, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors[field] = [$"'{field}' must be a string, not a JSON {SysCmdRequestReader.Describe(v.ValueKind)}."];
            return null;
        }

        return v.GetString();
    }

    private static DateTimeOffset? Instant(JsonElement root, string field, Dictionary<string, string[]> errors)
    {
        var text = String(root, field, errors);
        if (text is null)
        {
            return null;
        }

        if (!DelayText.TryParseInstant(text, out var at))
        {
            errors[field] = [$"'{field}' must be {DelayText.InstantRule}."];
            return null;
        }

        return at;
    }

    private static TimeSpan? Duration(JsonElement root, string field, TimeSpan max, Dictionary<string, string[]> errors)
    {
        var text = String(root, field, errors);
        if (text is null)
        {
            return null;
        }

        if (!DelayText.TryParseDuration(text, out var d) || d > max)
        {
            errors[field] = [$"'{field}' must be {DelayText.DurationRule}, at most {max}."];
            return null;
        }

        return d;
    }

    private static T Enum<T>(JsonElement root, string field, T fallback, Dictionary<string, string[]> errors)
        where T : struct, Enum
    {
        var text = String(root, field, errors);
        if (text is null)
        {
            return fallback;
        }

        var names = System.Enum.GetValues<T>().ToDictionary(v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()), StringComparer.Ordinal);
        if (names.TryGetValue(text, out var value))
        {
            return value;
        }

        errors[field] = [$"'{field}' must be one of {string.Join(", ", names.Keys.Select(k => $"\"{k}\""))}."];
        return fallback;
    }
}
