using System.Globalization;
using System.Text;
using System.Text.Json;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Latches;
using ExeSys.Core.Workflows;
using ExeSys.FunctionalModules;

namespace ExeSys.Worker.Functions;

/// <summary>
/// The data of <c>wait_acquire</c>, <c>wait_release</c> and <c>wait_countdown</c>: the latch's name as a string, or
/// <c>{"name": ..., "holder": ..., "hold_ms": n}</c> (<c>holder</c> for acquire and release, <c>hold_ms</c> for acquire).
/// <para>
/// The name may be a template, as littleflow's <c>'my-{input["id"]}'</c> is: each <c>{path}</c> is replaced by the
/// value at that path in the job's input: its first part names a predecessor (a graph node or workflow step whose
/// result reached this job), or <c>start_job</c> for the run's own data, in any node of a graph run; the rest is a path in that result as a
/// workflow edge's <c>when.path</c> has it (dot-separated property names or array indexes). The value must be a
/// string or a number. So <c>"batch-{start_job.id}"</c> names the latch after the run's <c>id</c>. The name that comes
/// out must be an identifier (<see cref="JobIdentifiers"/>, at most <c>ExeSys:Jobs:MaxIdLength</c>).
/// </para>
/// <para>
/// The holder defaults to the job's <c>job_id</c>, which every node and step of one workflow run shares: a run's
/// acquire and its later release name the same holder without saying so. Single jobs, or a run that acquires one
/// latch more than once, name their holder.
/// </para>
/// <para>
/// Latches are the tenant's own, as events are: the stored name is qualified with the job's tenant
/// (<see cref="TenantIds.QualifyLike"/>), so a tenant can neither hold nor release another tenant's latch.
/// </para>
/// </summary>
/// <param name="Name">The latch's name as the job's data gave it (shown in results and errors).</param>
/// <param name="Stored">The name as stored: qualified with the job's tenant, so tenants that use one latch name never share it.</param>
internal sealed record LatchArguments(string Name, string Stored, string Holder, TimeSpan Hold)
{
    public static async Task<LatchArguments> ParseAsync(string function, FunctionContext context, JobOptions options, ILatchStore latches, bool holder, bool hold)
    {
        var usage = $"{function} needs data to be a latch name, or {{\"name\": name{(holder ? ", \"holder\": id" : "")}{(hold ? ", \"hold_ms\": n" : "")}}}; a name may hold {{path}} placeholders read from the job's input, such as \"batch-{{start_job.id}}\".";
        var data = context.Data;
        JsonElement name, holderValue = default, holdValue = default;
        if (data.ValueKind == JsonValueKind.String)
        {
            name = data;
        }
        else if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("name", out name) && name.ValueKind == JsonValueKind.String)
        {
            foreach (var property in data.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name":
                        break;
                    case "holder" when holder:
                        holderValue = property.Value;
                        break;
                    case "hold_ms" when hold:
                        holdValue = property.Value;
                        break;
                    default:
                        throw new FunctionException($"{function}: unknown field '{property.Name}'. {usage}");
                }
            }
        }
        else
        {
            throw new FunctionException(usage);
        }

        var latch = await ExpandAsync(function, name.GetString()!, context, latches);
        if (JobIdentifiers.Check("name", latch, options.MaxIdLength) is { } badName)
        {
            throw new FunctionException($"{function}: the latch name \"{Shorten(latch)}\" is not valid: {badName}");
        }

        var who = context.JobId;
        if (holderValue.ValueKind != JsonValueKind.Undefined)
        {
            who = holderValue.ValueKind == JsonValueKind.String ? holderValue.GetString()! : throw new FunctionException($"{function}: 'holder' must be a string.");
            if (JobIdentifiers.Check("holder", who, options.MaxIdLength) is { } badHolder)
            {
                throw new FunctionException($"{function}: {badHolder}");
            }
        }

        var holdFor = options.LatchHold;
        if (holdValue.ValueKind != JsonValueKind.Undefined)
        {
            holdFor = holdValue.TryGetInt64(out var ms) && ms >= 1 && ms <= (long)options.LatchHold.TotalMilliseconds
                ? TimeSpan.FromMilliseconds(ms)
                : throw new FunctionException($"{function}: 'hold_ms' must be a whole number of milliseconds from 1 to {(long)options.LatchHold.TotalMilliseconds} (ExeSys:Jobs:LatchHold).");
        }

        return new LatchArguments(latch, TenantIds.QualifyLike(context.JobId, latch), who, holdFor);
    }

    /// <summary>Replaces each <c>{path}</c> of the template with the value at that path in the job's input.</summary>
    private static async Task<string> ExpandAsync(string function, string template, FunctionContext context, ILatchStore latches)
    {
        var inputs = context.Inputs;
        var name = new StringBuilder(template.Length);
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            if (open < 0)
            {
                name.Append(template, at, template.Length - at);
                break;
            }

            var close = template.IndexOf('}', open + 1);
            if (close < 0)
            {
                throw new FunctionException($"{function}: the latch name \"{Shorten(template)}\" opens a placeholder at position {open} that is never closed with '}}'.");
            }

            name.Append(template, at, open - at);
            var path = template[(open + 1)..close];
            var dot = path.IndexOf('.');
            var input = dot < 0 ? path : path[..dot];
            if (input == StartJob && !inputs.ContainsKey(StartJob) && inputs.Count > 0 && await latches.RunDataAsync(context.JobId) is { } runData)
            {
                // A node past the start of a graph run: its input holds its predecessors only, and the run's data is read
                // from the run (only a workflow node has an input, so a single job never reads a run of its job_id).
                using var doc = JsonDocument.Parse(runData);
                inputs = new Dictionary<string, JsonElement>(inputs) { [StartJob] = doc.RootElement.Clone() };
            }

            if (input.Length == 0 || !inputs.TryGetValue(input, out var result))
            {
                var known = inputs.Count == 0 ? "this job has no input (only workflow nodes and steps have one)" : "its input holds " + string.Join(", ", inputs.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"));
                throw new FunctionException($"{function}: the placeholder {{{path}}} in the latch name names no input: {known}.");
            }

            if (!EdgeCondition.Resolve(result, dot < 0 ? null : path[(dot + 1)..], out var value))
            {
                throw new FunctionException($"{function}: the placeholder {{{path}}} in the latch name finds nothing in the input '{input}'.");
            }

            name.Append(value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => throw new FunctionException($"{function}: the placeholder {{{path}}} in the latch name is {value.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture)}; it must be a string or a number."),
            });
            at = close + 1;
        }

        return name.ToString();
    }

    private const string StartJob = "start_job";

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
