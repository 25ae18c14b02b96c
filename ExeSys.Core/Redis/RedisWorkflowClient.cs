using System.Globalization;
using System.Text.Json;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Observability.Tracing;
using ExeSys.Core.Queues;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IWorkflowClient"/> on Redis. A run and all its nodes share the <c>{job_id}</c> slot, so creating a
/// run, reading it and pausing, resuming or cancelling it are each one atomic script; enqueueing what they release
/// is a second script in the queue's slot.
/// </summary>
public sealed class RedisWorkflowClient(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    RedisQueueSlot queue,
    RedisTopology topology,
    RetentionPolicy retention,
    RedisClock clock,
    RedisArchiveBacklog backlog,
    JobLanes lanes,
    IOptions<JobOptions> options,
    ExeSysMetrics? metrics = null,
    RedisJobIndex? index = null) : IWorkflowClient
{
    private readonly JobOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    public async Task<WorkflowSubmitOutcome> SubmitAsync(WorkflowRunRequest request, bool watch)
    {
        var run = request.Run;
        var definition = request.Definition;
        var args = new List<RedisValue>(14 + (definition.Nodes.Count * 10))
        {
            run.From, run.JobId, keys.Prefix, request.DefinitionJson, watch ? 1 : 0, (int)request.Priority, request.RunDataJson,
            definition.Nodes.Count, string.Join(',', definition.Start),
            string.Join(',', definition.Nodes.Where(n => n.Next.Any(e => e.To == WorkflowDefinition.EndJob)).Select(n => n.Name)),
            string.Join(',', definition.Nodes.Select(n => n.Name)), JobTracing.CurrentTraceParent(),
        };

        // The console's recent-runs index: KEYS[3] or [4] (after the tombstone) where the script may take it.
        var inScript = index?.RunsInScript(run);
        var indexAt = retention.Archives ? 4 : 3;
        args.Add(inScript is null ? RedisValue.EmptyString : indexAt);
        args.Add(inScript?.Bound ?? RedisValue.EmptyString);
        foreach (var node in definition.Nodes)
        {
            var ins = definition.Predecessors[node.Name];
            args.Add(node.Name);
            args.Add(node.Cmd);
            args.Add(node.DataJson);
            args.Add(JsonSerializer.Serialize(node.Next.Select(e => new EdgeJson(e.To, e.WhenJson)).ToList(), CoreJsonContext.Default.ListEdgeJson));
            args.Add(string.Join(',', ins));
            args.Add(string.Join(',', node.Next.Select(e => e.To)));
            args.Add(ins.Count(p => p != WorkflowDefinition.StartJob));
            args.Add(node.MaxAttempts > 0 ? node.MaxAttempts : _options.MaxAttempts);
            args.Add(node.TimeoutMs);
            args.Add(node.BackoffMs);
        }

        RedisKey[] submitKeys = retention.Archives
            ? [keys.Status(run), keys.Workflow(run.JobId), keys.Tombstone(run)]
            : [keys.Status(run), keys.Workflow(run.JobId)];
        if (inScript is { } ix)
        {
            submitKeys = [.. submitKeys, ix.Key];
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.WorkflowSubmit, submitKeys, [.. args]))!;
        switch ((string)reply[0]!)
        {
            case "archived":
                return new WorkflowSubmitOutcome(WorkflowSubmitStatus.Archived, null);
            case "new":
                // The script stamps the run with Redis's clock, the one its nodes' times and leases are on.
                var now = (long)reply[1];
                var cmds = definition.Nodes.ToDictionary(n => n.Name, n => n.Cmd, StringComparer.Ordinal);
                await queue.EnqueueAsync([.. reply.Skip(2).Select(s =>
                {
                    return lanes.Queued(new JobRef((string)s!, run.JobId), request.Priority, cmds[(string)s!], null);
                })]);
                await TrackAsync(run, now);
                if (index is not null && inScript is null)
                {
                    await index.AddRunAsync(run);
                }

                metrics?.WorkflowSubmitted();
                return new WorkflowSubmitOutcome(WorkflowSubmitStatus.Created, new JobSnapshot(
                    run, JobState.Processing, WorkflowDefinition.EndJob, "workflow", request.DefinitionJson, request.Priority, now, now, 1, null, null, null));
            case "taken":
                return new WorkflowSubmitOutcome(WorkflowSubmitStatus.NameTaken, null, (string)reply[1]!);
            case "conflict":
                return new WorkflowSubmitOutcome(WorkflowSubmitStatus.Conflict, RedisReplies.ReadSnapshot(run, reply, 1));
            default:
                await queue.EnqueueAsync(RedisReplies.Promoted(reply, 1 + RedisReplies.SnapshotFields, run.JobId, lanes));
                var existing = RedisReplies.ReadSnapshot(run, reply, 1);
                if (existing.State == JobState.Processing)
                {
                    await TrackAsync(run, existing.CreatedMs);
                }

                return new WorkflowSubmitOutcome(WorkflowSubmitStatus.Existing, existing);
        }
    }

    /// <summary>
    /// Remembers an active run under its client for cancel-all (<see cref="CancelAllAsync"/>), by its creation time. A
    /// third call after the run's two, in the client's slot, so a crash or failure before it leaves the run untracked:
    /// the client got no acknowledgement and re-sends, and the re-sent submit of a run still running tracks it again
    /// (ZADD of the same score changes nothing when it is tracked already).
    /// </summary>
    private async Task TrackAsync(JobRef run, long createdMs) =>
        await Db.EvaluateAsync(LuaScripts.WorkflowTrack, [keys.ClientRuns(run.From)], [createdMs, run.JobId, clock.NowMs - retention.RetentionMs]);

    public async Task<WorkflowSnapshot?> GetAsync(JobRef run)
    {
        var result = await Db.EvaluateAsync(LuaScripts.WorkflowGet,
            [keys.Status(run), keys.Workflow(run.JobId)], [keys.Prefix, run.JobId]);
        if (result.IsNull)
        {
            return null;
        }

        var r = (RedisResult[])result!;
        var nodes = new List<WorkflowNodeState>();
        var first = RedisReplies.SnapshotFields + 1;
        for (var i = first; i + 9 < r.Length; i += 10)
        {
            nodes.Add(new WorkflowNodeState(
                (string)r[i]!,
                r[i + 1].IsNull ? JobState.Standby : (JobState)(int)r[i + 1],
                (string?)r[i + 2] ?? "",
                r[i + 3].IsNull ? 0 : (int)r[i + 3],
                r[i + 4].IsNull ? null : (long)r[i + 4],
                r[i + 5].IsNull ? null : (long)r[i + 5],
                (string?)r[i + 6],
                !r[i + 7].IsNull,
                (string?)r[i + 8] ?? "",
                (string?)r[i + 9]));
        }

        return new WorkflowSnapshot(RedisReplies.ReadSnapshot(run, r, 0), (string)r[RedisReplies.SnapshotFields]!, nodes);
    }

    public Task<WorkflowControlOutcome> ControlAsync(JobRef run, WorkflowAction action) =>
        ControlCoreAsync(run, action, action.ToString().ToLowerInvariant());

    /// <param name="label">How the action is recorded in the run's operator log for the history: the action, or cancel_all.</param>
    private async Task<WorkflowControlOutcome> ControlCoreAsync(JobRef run, WorkflowAction action, string label)
    {
        // A cancelled run ends here, not in a worker's finish, so nothing else puts it on the archive backlog. On a
        // single Redis the script does, in the step that ends it; a cluster's second call below leaves a window in
        // which a dead API leaves the run unarchived, with its keys kept.
        var backlogInScript = topology.ControlBacklogs;
        var controlKeys = new List<RedisKey> { keys.Status(run), keys.Workflow(run.JobId) };
        if (retention.Archives)
        {
            controlKeys.Add(keys.WorkflowLog(run.JobId));
        }

        if (backlogInScript)
        {
            controlKeys.Add(keys.ArchiveBacklog);
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.WorkflowControl, [.. controlKeys],
            [action.ToString().ToLowerInvariant(), keys.Prefix, run.JobId, clock.NowMs, retention.ScriptRetentionMs,
             keys.DoneChannelName, "cancelled", label]))!;
        switch ((string)reply[0]!)
        {
            case "missing":
                return new WorkflowControlOutcome(false, false, "");
            case "ended":
                return new WorkflowControlOutcome(true, false, (string)reply[1]!);
        }

        var phase = (string)reply[1]!;
        if (action == WorkflowAction.Resume)
        {
            await queue.EnqueueAsync(RedisReplies.Promoted(reply, 2, run.JobId, lanes));
        }
        else if (action == WorkflowAction.Cancel)
        {
            if (retention.Archives && !backlogInScript)
            {
                await backlog.AddAsync([run]);
            }

            // Running nodes hear it on the cancel channel and cancel their function's token.
            var subscriber = redis.GetSubscriber();
            foreach (var node in reply.Skip(3))
            {
                await subscriber.PublishAsync(keys.CancelChannel, new JobRef((string)node!, run.JobId).Member);
            }
        }

        return new WorkflowControlOutcome(true, true, phase);
    }

    public async Task<IReadOnlyList<string>> CancelAllAsync(string from, string tenant = Auth.TenantIds.DefaultTenant)
    {
        var runs = await Db.SortedSetRangeByRankAsync(keys.ClientRuns(from));
        var cancelled = new List<string>();
        // The list holds every tenant's runs of this client name (their job_ids qualified); a tenant cancels its own.
        foreach (var jobId in runs.Select(r => (string)r!).Where(id => Auth.TenantIds.Belongs(tenant, id)))
        {
            var outcome = await ControlCoreAsync(new JobRef(from, jobId), WorkflowAction.Cancel, "cancel_all");
            if (outcome.Applied)
            {
                cancelled.Add(jobId);
            }

            await Db.SortedSetRemoveAsync(keys.ClientRuns(from), jobId);
        }

        return cancelled;
    }
}

internal sealed record EdgeJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("to")] string To,
    [property: System.Text.Json.Serialization.JsonPropertyName("when"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    RawWhen? When)
{
    public EdgeJson(string to, string? whenJson) : this(to, whenJson is null ? null : new RawWhen(whenJson))
    {
    }
}

[System.Text.Json.Serialization.JsonConverter(typeof(RawWhenConverter))]
internal sealed record RawWhen(string Json);

internal sealed class RawWhenConverter : System.Text.Json.Serialization.JsonConverter<RawWhen>
{
    public override RawWhen Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return new RawWhen(doc.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, RawWhen value, JsonSerializerOptions options) => writer.WriteRawValue(value.Json);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<EdgeJson>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class CoreJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
