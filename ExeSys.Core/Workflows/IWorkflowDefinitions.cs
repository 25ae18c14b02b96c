namespace ExeSys.Core.Workflows;

/// <summary>Named workflow definitions (canonical JSON by name), shared by every API instance.</summary>
public interface IWorkflowDefinitions
{
    /// <summary>
    /// Saves a definition, new or replacing the one of that name. Returns false, and changes nothing, when storage
    /// already holds <paramref name="maxCount"/> definitions and the name is new.
    /// </summary>
    Task<bool> SaveAsync(string name, string definitionJson, int maxCount);

    /// <summary>The definition's JSON, or null when there is none of that name.</summary>
    Task<string?> GetAsync(string name);

    /// <summary>Removes a definition. Returns whether there was one of that name.</summary>
    Task<bool> DeleteAsync(string name);

    /// <summary>Every definition, by name in ordinal order.</summary>
    Task<IReadOnlyDictionary<string, string>> ListAsync();
}
