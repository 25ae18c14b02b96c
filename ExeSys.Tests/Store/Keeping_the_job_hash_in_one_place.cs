using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using ExeSys.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExeSys.Tests.Store;

/// <summary>
/// A job's status hash has one definition in C#, <see cref="JobHash"/> (its field names, and in
/// <see cref="JobHash.SnapshotFields"/> the order in which <see cref="RedisReplies.ReadSnapshot"/> reads a job from a
/// script's reply), and one in Lua: SNAPSHOT_FIELDS in _common.lua, which read_snapshot reads and snapshot_of replies
/// for every script. These tests read the embedded scripts and fail when the two drift apart, when a script spells out
/// a snapshot of its own, or when a script reads or writes a status field that JobHash does not name.
/// </summary>
[TestFixture]
public sealed partial class Keeping_the_job_hash_in_one_place
{
    /// <summary>The scripts whose replies or messages carry a job snapshot.</summary>
    private static readonly string[] SnapshotScripts = ["job_get", "job_submit", "workflow_submit", "workflow_get", "job_finish"];

    /// <summary>The errors of the round trip's one failed attempt.</summary>
    private static readonly string[] OneError = ["boom"];

    private static readonly IReadOnlyList<Script> Scripts =
        [.. LuaScripts.Names.Order(StringComparer.Ordinal).Select(name => new Script(name, LuaScripts.Source(name)))];

    private static Script Common => Scripts.Single(s => s.Name == "_common");

    /// <summary>Every field name <see cref="JobHash"/> defines (its string constants; the state codes are values, not fields).</summary>
    private static readonly HashSet<string> JobHashFields =
        [.. typeof(JobHash).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)];

    [Test]
    public void Should_list_the_snapshot_fields_in_Lua_in_the_order_JobHash_reads_them()
    {
        var lua = Common.List("SNAPSHOT_FIELDS");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lua, Is.EqualTo(JobHash.SnapshotFields), "SNAPSHOT_FIELDS in _common.lua, against JobHash.SnapshotFields");
            Assert.That(Common.FunctionBody("snapshot_of"), Does.Contain($"if out[ST] ~= '{JobHash.StateCodes.DataAvailable}' then").And.Contain("out[DA] = false"),
                "snapshot_of shows the result only in state 3");
            Assert.That(Common.FunctionBody("read_snapshot"), Does.Contain("unpack(SNAPSHOT_FIELDS)").And.Contain("SNAPSHOT_EXTRAS"),
                "read_snapshot reads SNAPSHOT_FIELDS, then SNAPSHOT_EXTRAS");
            Assert.That(Common.Places(), Is.EqualTo(lua.Concat(Common.List("SNAPSHOT_EXTRAS")).Select((field, i) => (field, i + 1))),
                "the place constants (ST, TO, ..., W, KIND, MA) each name the field at their place in SNAPSHOT_FIELDS, then SNAPSHOT_EXTRAS");
            Assert.That(lua.ToList().IndexOf(JobHash.Result), Is.EqualTo(Array.IndexOf(JobHash.SnapshotFields, JobHash.Result)), "DA is where the result is");
        }
    }

    [Test]
    public void Should_spell_out_the_snapshot_in_no_script_but_the_shared_helpers()
    {
        var copies = new List<string>();
        foreach (var script in Scripts)
        {
            if (script.Name != Common.Name && script.Code.Contains("SNAPSHOT_FIELDS =", StringComparison.Ordinal))
            {
                copies.Add($"{script.Name} defines SNAPSHOT_FIELDS again");
            }

            // A read of half the snapshot's fields or more is a snapshot of its own (the copies this replaced read all 14).
            // start_job's read is not: it replies no snapshot, and it reads the times the worker's metrics need (ct, ut)
            // in the same HMGET as the fields it starts the job with, so that they cost no command more.
            foreach (var call in script.HashCalls().Where(c => c.Command == "HMGET" && !(script.Name == Common.Name && (script.IsIn("read_snapshot", c.At) || script.IsIn("start_job", c.At)))))
            {
                var read = call.FieldNames(script).Select(Literal).Where(f => f is not null && JobHash.SnapshotFields.Contains(f)).Distinct().ToList();
                if (read.Count * 2 >= JobHash.SnapshotFields.Length)
                {
                    copies.Add($"{script.Name}: HMGET of {string.Join(", ", read)}");
                }
            }
        }

        foreach (var name in SnapshotScripts)
        {
            if (!Scripts.Single(s => s.Name == name).Code.Contains("snapshot_of(", StringComparison.Ordinal))
            {
                copies.Add($"{name} builds its snapshot without snapshot_of");
            }
        }

        Assert.That(copies, Is.Empty, "read_snapshot and snapshot_of in _common.lua are the one place the snapshot is read and replied");
    }

    [Test]
    public void Should_read_and_write_only_the_status_fields_JobHash_names()
    {
        var (uses, problems) = StatusFieldUses();
        var unknown = uses.Where(u => !JobHashFields.Contains(u.Field)).Select(u => $"{u.Script}: '{u.Field}' in {u.Where}").ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(uses, Has.Count.GreaterThan(50), "the scan found the scripts' status fields");
            Assert.That(problems, Is.Empty, "hash commands the scan could not place (say in the script's header what KEYS[n] is)");
            Assert.That(unknown, Is.Empty, "status fields JobHash does not define");
        }
    }

    [Test]
    public void Should_name_in_JobHash_only_fields_that_a_script_uses()
    {
        var used = StatusFieldUses().Uses.Select(u => u.Field).ToHashSet(StringComparer.Ordinal);

        Assert.That(JobHashFields.Where(f => !used.Contains(f)), Is.Empty, "JobHash fields no script reads or writes");
    }

    [Test]
    public async Task Should_read_every_snapshot_field_back_in_its_place()
    {
        // Times the scripts are given come from this clock; Redis's own (leases, due retries) is later than all of them.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var harness = new StoreHarness(TestRedis.NewPrefix("jobhash"), new JobOptions { MaxAttempts = 3 }, time);
        var job = new JobRef("hasher", "job-1");
        var command = StoreHarness.Command(job.From, job.JobId, """{"n":1}""", JobPriority.High, cmd: "echo");
        var created = Tick(time, 0);

        await harness.SubmitAsync(command);
        Tick(time, 1);
        var first = (await harness.ClaimAsync("worker-a", 1)).Single();
        Tick(time, 1);
        var progressed = await harness.Worker.PublishProgressAsync(first, """{"half":true}""");
        var failed = Tick(time, 1);
        var retryAt = failed + 1;
        await harness.Worker.FailAsync(first, "boom", DateTimeOffset.FromUnixTimeMilliseconds(retryAt));
        var waiting = await harness.GetAsync(job);

        await harness.Maintenance.PromoteDueRetriesAsync(10);
        Tick(time, 1);
        var second = (await harness.ClaimAsync("worker-b", 1)).Single();
        var done = Tick(time, 1);
        await harness.CompleteAsync(second, """{"sum":3}""");
        var finished = await harness.GetAsync(job);
        var existing = await harness.SubmitAsync(command);
        var conflict = await harness.SubmitAsync(command with { DataJson = """{"n":2}""" });

        var expectedWaiting = new JobSnapshot(job, JobState.Standby, "end_job", "echo", """{"n":1}""", JobPriority.High, created, failed, 1, "boom",
            "worker-a", null, retryAt, null, """{"half":true}""");
        var expectedFinished = new JobSnapshot(job, JobState.DataAvailable, "end_job", "echo", """{"n":1}""", JobPriority.High, created, done, 2, "boom",
            "worker-b", """{"sum":3}""", null, null, """{"half":true}""");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(progressed, Is.True);
            Assert.That(waiting! with { Errors = null }, Is.EqualTo(expectedWaiting), "job_get.lua while a retry waits");
            Assert.That(waiting.Errors, Is.EqualTo(OneError));
            Assert.That(finished! with { Errors = null }, Is.EqualTo(expectedFinished), "job_get.lua once finished");
            Assert.That(finished.Errors, Is.EqualTo(OneError));
            Assert.That(existing.Status, Is.EqualTo(SubmitStatus.Existing));
            Assert.That(existing.Snapshot! with { Errors = null }, Is.EqualTo(expectedFinished), "job_submit.lua's re-send");
            Assert.That(conflict.Status, Is.EqualTo(SubmitStatus.Conflict));
            Assert.That(conflict.Snapshot! with { Errors = null }, Is.EqualTo(expectedFinished with { ResultJson = null }), "job_submit.lua's conflict shows no result");
            Assert.That(conflict.Snapshot.Errors, Is.EqualTo(OneError));
        }
    }

    /// <summary>Advances the clock by <paramref name="seconds"/> and returns its time in Unix ms.</summary>
    private static long Tick(FakeTimeProvider time, int seconds)
    {
        time.Advance(TimeSpan.FromSeconds(seconds));
        return time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>One status field a script reads or writes, and where.</summary>
    private sealed record FieldUse(string Script, string Field, string Where);

    /// <summary>Every field each script reads or writes on a status hash, and the hash commands the scan cannot place.</summary>
    private static (List<FieldUse> Uses, List<string> Problems) StatusFieldUses()
    {
        var uses = new List<FieldUse>();
        var problems = new List<string>();
        foreach (var script in Scripts)
        {
            foreach (var name in script.List("SNAPSHOT_FIELDS", optional: true))
            {
                uses.Add(new FieldUse(script.Name, name, "SNAPSHOT_FIELDS"));
            }

            // What read_snapshot is given besides the key (nothing but a flag today): fields of a status hash.
            foreach (var call in script.Calls("read_snapshot"))
            {
                var key = call.Args[0];
                if (key is not null && script.Classify(key, call.At) != HashKind.Status)
                {
                    problems.Add($"{script.Name}: {call.Function}({key}, ...) on a key that is not a status hash");
                    continue;
                }

                foreach (var literal in call.Args.Skip(key is null ? 0 : 1).SelectMany(LiteralsIn))
                {
                    uses.Add(new FieldUse(script.Name, literal, $"{call.Function}(...)"));
                }
            }

            foreach (var call in script.HashCalls())
            {
                var kind = script.Classify(call.Key, call.At);
                var fields = call.FieldNames(script);
                if (kind is HashKind.Workflow or HashKind.Schedule || (kind == HashKind.Unknown && fields.All(f => Literal(f) is null)))
                {
                    continue; // another hash (a run's workflow hash, a schedule's hash, a waiters or details hash), or fields not named in the script
                }

                if (kind == HashKind.Unknown)
                {
                    problems.Add($"{script.Name}: {call.Command} on '{call.Key}', which the scan cannot tell is a status hash");
                    continue;
                }

                foreach (var field in fields)
                {
                    if (Literal(field) is { } name)
                    {
                        uses.Add(new FieldUse(script.Name, name, $"{call.Command} {call.Key}"));
                    }
                    else
                    {
                        problems.Add($"{script.Name}: {call.Command} {call.Key} with the field {field}, not a name the scan can read");
                    }
                }
            }
        }

        return (uses, problems);
    }

    /// <summary>The list of <c>unpack(list)</c>, or null when <paramref name="arg"/> is not one.</summary>
    private static string? UnpackOf(string arg)
    {
        var t = arg.Trim();
        return t.StartsWith("unpack(", StringComparison.Ordinal) && t.EndsWith(')') ? t["unpack(".Length..^1].Trim() : null;
    }

    /// <summary>The text of a Lua string literal in single quotes, or null when <paramref name="expression"/> is not one.</summary>
    private static string? Literal(string expression)
    {
        var m = SingleQuoted().Match(expression.Trim());
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Every single-quoted string literal in <paramref name="expression"/>.</summary>
    private static IEnumerable<string> LiteralsIn(string expression) =>
        SingleQuotedAnywhere().Matches(expression).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"^local (?<names>[A-Z]+(?:, [A-Z]+)*) = (?<values>(?:[A-Z]+ \+ )?\d+(?:, (?:[A-Z]+ \+ )?\d+)*|PROG)$", RegexOptions.Multiline)]
    private static partial Regex PlaceConstants();

    [GeneratedRegex(@"^'([^'\\]*)'$")]
    private static partial Regex SingleQuoted();

    [GeneratedRegex(@"'([^'\\]*)'")]
    private static partial Regex SingleQuotedAnywhere();

    [GeneratedRegex(@"redis\.call\(\s*'(HSET|HMGET|HGET|HDEL|HEXISTS|HINCRBY)'")]
    private static partial Regex HashCommand();

    private enum HashKind
    {
        Unknown,
        Status,
        Workflow,

        /// <summary>A schedule's hash (schedule_key in _schedules.lua), never a job's.</summary>
        Schedule,
    }

    /// <summary>A call <c>name(args)</c> at offset <see cref="At"/> of a script's code.</summary>
    private sealed record Call(string Function, IReadOnlyList<string> Args, int At);

    /// <summary>A hash command in a script: <c>redis.call(Command, Key, Fields...)</c>.</summary>
    private sealed record HashCall(string Command, string Key, IReadOnlyList<string> Args, int At)
    {
        /// <summary>The field arguments: every one, or for HSET every other one; an HSET or HMGET of <c>unpack(list)</c> reads the list.</summary>
        public IReadOnlyList<string> FieldNames(Script script)
        {
            var args = Args;
            if (args.Count == 1 && UnpackOf(args[0]) is { } list)
            {
                args = script.Elements(list, At) ?? [args[0]];
            }

            return Command switch
            {
                "HSET" => [.. args.Where((_, i) => i % 2 == 0)],
                "HGET" or "HINCRBY" => [args[0]],
                _ => args,
            };
        }

    }

    /// <summary>One embedded script: its name, its own text, and that text without comments (<see cref="Code"/>).</summary>
    private sealed partial class Script(string name, string text)
    {
        public string Name { get; } = name;

        /// <summary>The leading comment: what the script says its KEYS are.</summary>
        public string Header { get; } = string.Join('\n', text.Split('\n').TakeWhile(l => l.StartsWith("--", StringComparison.Ordinal)));

        public string Code { get; } = StripComments(text);

        /// <summary>The string literals of the list <c>local name = {...}</c>.</summary>
        public IReadOnlyList<string> List(string name, bool optional = false)
        {
            var at = Code.IndexOf($"local {name} = {{", StringComparison.Ordinal);
            if (at < 0)
            {
                return optional ? [] : throw new InvalidOperationException($"{Name}.lua has no list {name}.");
            }

            var (inner, _) = Enclosed(Code, Code.IndexOf('{', at));
            return [.. SplitTopLevel(inner).Select(e => Literal(e) ?? throw new InvalidOperationException($"{name} holds {e}, not a field name."))];
        }

        /// <summary>
        /// The place constants of the snapshot's reply, as (field, place): <c>local ST, TO, ... = 1, 2, ...</c>, then
        /// <c>local SNAPSHOT = PROG</c> and <c>local W, ... = SNAPSHOT + 1, ...</c>. A constant names its field in capitals.
        /// </summary>
        public List<(string Field, int Place)> Places()
        {
            var places = new List<(string, int)>();
            var constants = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (Match m in PlaceConstants().Matches(Code))
            {
                var names = m.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries);
                var values = SplitTopLevel(m.Groups["values"].Value);
                if (names.Length == 1 && names[0] == "SNAPSHOT")
                {
                    constants["SNAPSHOT"] = constants[values[0]];
                    continue;
                }

                for (var i = 0; i < names.Length; i++)
                {
                    var value = Regex.Match(values[i], @"^(?:(\w+) \+ )?(\d+)$");
                    var place = int.Parse(value.Groups[2].Value, CultureInfo.InvariantCulture) + (value.Groups[1].Success ? constants[value.Groups[1].Value] : 0);
                    constants[names[i]] = place;
                    places.Add((names[i].ToLowerInvariant(), place));
                }
            }

            return places;
        }

        /// <summary>Whether the offset <paramref name="at"/> of <see cref="Code"/> is inside <c>local function name</c>.</summary>
        public bool IsIn(string function, int at)
        {
            var start = Code.IndexOf($"local function {function}(", StringComparison.Ordinal);
            return start >= 0 && at > start && at < start + FunctionBody(function).Length;
        }

        /// <summary>The text of <c>local function name(...) ... end</c>, up to the first <c>end</c> at the start of a line.</summary>
        public string FunctionBody(string name)
        {
            var at = Code.IndexOf($"local function {name}(", StringComparison.Ordinal);
            if (at < 0)
            {
                return "";
            }

            var end = Code.IndexOf("\nend", at, StringComparison.Ordinal);
            return Code[at..(end < 0 ? Code.Length : end)];
        }

        public IEnumerable<HashCall> HashCalls()
        {
            foreach (Match m in HashCommand().Matches(Code))
            {
                var (inner, _) = Enclosed(Code, m.Index + "redis.call".Length);
                var args = SplitTopLevel(inner);
                yield return new HashCall(m.Groups[1].Value, args[1], args.Skip(2).ToList(), m.Index);
            }
        }

        /// <summary>Calls of the functions named (not their definitions).</summary>
        public IEnumerable<Call> Calls(params string[] functions)
        {
            foreach (var function in functions)
            {
                foreach (Match m in Regex.Matches(Code, $@"(?<![\w.]){function}\("))
                {
                    if (Code[..m.Index].EndsWith("function ", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var (inner, _) = Enclosed(Code, m.Index + function.Length);
                    yield return new Call(function, SplitTopLevel(inner), m.Index);
                }
            }
        }

        /// <summary>
        /// What a key expression at offset <paramref name="at"/> names: a status hash (<c>job_key(..., 'status')</c>, or
        /// KEYS[n] where the header says it is one), a run's workflow hash (<c>wf_key</c>, or KEYS[n] per the header), a
        /// local bound to one of those, or by name the parameters <c>status</c> and <c>wf</c> of the shared helpers.
        /// </summary>
        public HashKind Classify(string key, int at)
        {
            key = key.Trim();
            if (key.Contains("'status')", StringComparison.Ordinal))
            {
                return HashKind.Status;
            }

            if (key.Contains("wf_key(", StringComparison.Ordinal))
            {
                return HashKind.Workflow;
            }

            if (key.Contains("schedule_key(", StringComparison.Ordinal))
            {
                return HashKind.Schedule;
            }

            if (KeysIndex().Match(key) is { Success: true } keys)
            {
                var said = Regex.Match(Header, $@"KEYS\[{keys.Groups[1].Value}\]\s+([^,(;.]*)");
                return !said.Success ? HashKind.Unknown
                    : said.Groups[1].Value.Contains("workflow", StringComparison.Ordinal) ? HashKind.Workflow
                    : said.Groups[1].Value.Contains("status", StringComparison.Ordinal) ? HashKind.Status
                    : HashKind.Unknown;
            }

            if (Identifier().IsMatch(key))
            {
                var bound = Regex.Matches(Code[..at], $@"local {key} = ([^\n]+)");
                if (bound.Count > 0)
                {
                    return Classify(bound[^1].Groups[1].Value, bound[^1].Index);
                }

                return key switch
                {
                    "status" => HashKind.Status,
                    "wf" => HashKind.Workflow,
                    _ => HashKind.Unknown,
                };
            }

            return HashKind.Unknown;
        }

        /// <summary>
        /// The elements of a field list as built before offset <paramref name="at"/>: a call of a helper that returns a
        /// table (<c>start_fields(...)</c>), or a local table, with what <c>table.insert</c> and <c>append</c> add to it.
        /// Null when the list is built some other way.
        /// </summary>
        public List<string>? Elements(string list, int at)
        {
            if (Regex.Match(list, @"^(\w+)\(") is { Success: true } call)
            {
                var body = FunctionBody(call.Groups[1].Value) is { Length: > 0 } own ? own : Common.FunctionBody(call.Groups[1].Value);
                var ret = body.IndexOf("return {", StringComparison.Ordinal);
                return ret < 0 ? null : SplitTopLevel(Enclosed(body, body.IndexOf('{', ret)).Inner);
            }

            if (!Identifier().IsMatch(list))
            {
                return null;
            }

            var constructors = Regex.Matches(Code[..at], $@"local {list} = \{{");
            if (constructors.Count == 0)
            {
                return null;
            }

            var (inner, end) = Enclosed(Code, constructors[^1].Index + constructors[^1].Length - 1);
            var elements = SplitTopLevel(inner)
                .SelectMany(e => UnpackOf(e) is { } unpacked && Elements(unpacked, at) is { } expanded ? expanded : [e])
                .ToList();
            foreach (Match add in Regex.Matches(Code[end..at], $@"(?<![\w.])(table\.insert|append)\(\s*{list}\s*,"))
            {
                var args = SplitTopLevel(Enclosed(Code, end + add.Index + add.Groups[1].Length).Inner);
                if (add.Groups[1].Value == "table.insert")
                {
                    elements.Add(args[1]);
                }
                else if (args[1].Trim().StartsWith('{'))
                {
                    var more = args[1].Trim();
                    elements.AddRange(SplitTopLevel(more[1..^1]));
                }
                else
                {
                    elements.AddRange(Elements(args[1].Trim(), at) ?? [args[1]]);
                }
            }

            return elements;
        }

        [GeneratedRegex(@"^KEYS\[(\d+)\]$")]
        private static partial Regex KeysIndex();

        [GeneratedRegex(@"^[A-Za-z_]\w*$")]
        private static partial Regex Identifier();

        private static string StripComments(string lua)
        {
            var code = new StringBuilder(lua.Length);
            char? quote = null;
            for (var i = 0; i < lua.Length; i++)
            {
                var c = lua[i];
                if (quote is { } q)
                {
                    code.Append(c);
                    if (c == '\\' && i + 1 < lua.Length)
                    {
                        code.Append(lua[++i]);
                    }
                    else if (c == q)
                    {
                        quote = null;
                    }
                }
                else if (c == '-' && i + 1 < lua.Length && lua[i + 1] == '-')
                {
                    while (i + 1 < lua.Length && lua[i + 1] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    quote = c is '\'' or '"' ? c : null;
                    code.Append(c);
                }
            }

            return code.ToString();
        }

        /// <summary>The characters of <paramref name="code"/> from <paramref name="from"/> on that are outside string literals, with their offsets.</summary>
        private static IEnumerable<(int At, char C)> OutsideStrings(string code, int from)
        {
            char? quote = null;
            for (var i = from; i < code.Length; i++)
            {
                var c = code[i];
                if (quote is { } q)
                {
                    if (c == '\\')
                    {
                        i++;
                    }
                    else if (c == q)
                    {
                        quote = null;
                    }

                    continue;
                }

                if (c is '\'' or '"')
                {
                    quote = c;
                    continue;
                }

                yield return (i, c);
            }
        }

        /// <summary>The text between the bracket at <paramref name="open"/> and its match, and the match's offset.</summary>
        private static (string Inner, int End) Enclosed(string code, int open)
        {
            var depth = 0;
            foreach (var (i, c) in OutsideStrings(code, open))
            {
                if (c is '(' or '[' or '{')
                {
                    depth++;
                }
                else if (c is ')' or ']' or '}' && --depth == 0)
                {
                    return (code[(open + 1)..i], i);
                }
            }

            throw new FormatException($"No match for the bracket at {open}: {code[open..Math.Min(code.Length, open + 60)]}");
        }

        /// <summary>Splits a list at its top-level commas (not those in brackets or strings).</summary>
        private static List<string> SplitTopLevel(string list)
        {
            var parts = new List<string>();
            var depth = 0;
            var start = 0;
            foreach (var (i, c) in OutsideStrings(list, 0))
            {
                switch (c)
                {
                    case '(' or '[' or '{':
                        depth++;
                        break;
                    case ')' or ']' or '}':
                        depth--;
                        break;
                    case ',' when depth == 0:
                        parts.Add(list[start..i].Trim());
                        start = i + 1;
                        break;
                }
            }

            if (list[start..].Trim() is { Length: > 0 } last)
            {
                parts.Add(last);
            }

            return parts;
        }
    }
}
