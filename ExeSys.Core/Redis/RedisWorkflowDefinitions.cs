using ExeSys.Core.Workflows;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IWorkflowDefinitions"/> on Redis: one hash, name → JSON (<see cref="RedisKeys.WorkflowDefinitions"/>).
/// Its size is bounded by the caller's count and per-definition byte limits; the count is checked in the same script
/// that writes, so concurrent saves cannot pass it together.
/// </summary>
public sealed class RedisWorkflowDefinitions(IConnectionMultiplexer redis, RedisKeys keys) : IWorkflowDefinitions
{
    public async Task<bool> SaveAsync(string name, string definitionJson, int maxCount) =>
        (int)await redis.GetDatabase().EvaluateAsync(LuaScripts.DefinitionSave, [keys.WorkflowDefinitions], [name, definitionJson, maxCount]) == 1;

    public async Task<string?> GetAsync(string name) =>
        (string?)await redis.GetDatabase().HashGetAsync(keys.WorkflowDefinitions, name);

    public Task<bool> DeleteAsync(string name) => redis.GetDatabase().HashDeleteAsync(keys.WorkflowDefinitions, name);

    public async Task<IReadOnlyDictionary<string, string>> ListAsync() =>
        (await redis.GetDatabase().HashGetAllAsync(keys.WorkflowDefinitions))
            .OrderBy(e => (string)e.Name!, StringComparer.Ordinal)
            .ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
}
