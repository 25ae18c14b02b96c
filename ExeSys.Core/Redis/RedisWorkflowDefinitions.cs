using ExeSys.Core.Workflows;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary><see cref="IWorkflowDefinitions"/> on Redis: one hash, name → JSON (<see cref="RedisKeys.WorkflowDefinitions"/>).</summary>
public sealed class RedisWorkflowDefinitions(IConnectionMultiplexer redis, RedisKeys keys) : IWorkflowDefinitions
{
    public Task SaveAsync(string name, string definitionJson) =>
        redis.GetDatabase().HashSetAsync(keys.WorkflowDefinitions, name, definitionJson);

    public async Task<string?> GetAsync(string name) =>
        (string?)await redis.GetDatabase().HashGetAsync(keys.WorkflowDefinitions, name);

    public async Task<IReadOnlyDictionary<string, string>> ListAsync() =>
        (await redis.GetDatabase().HashGetAllAsync(keys.WorkflowDefinitions))
            .OrderBy(e => (string)e.Name!, StringComparer.Ordinal)
            .ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
}
