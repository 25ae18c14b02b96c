namespace ExeSys.Core.Workflows;

/// <summary>Named workflow definitions (canonical JSON by name), shared by every API instance.</summary>
public interface IWorkflowDefinitions
{
    Task SaveAsync(string name, string definitionJson);

    /// <summary>The definition's JSON, or null when there is none of that name.</summary>
    Task<string?> GetAsync(string name);

    /// <summary>Every definition, by name in ordinal order.</summary>
    Task<IReadOnlyDictionary<string, string>> ListAsync();
}
