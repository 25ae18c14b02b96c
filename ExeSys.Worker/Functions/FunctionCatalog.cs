using ExeSys.FunctionalModules;

namespace ExeSys.Worker.Functions;

/// <summary>The functions this worker can run, by command name.</summary>
public sealed class FunctionCatalog
{
    private readonly Dictionary<string, IExeSysFunction> _functions;

    public FunctionCatalog(IEnumerable<IExeSysFunction> functions)
    {
        _functions = new Dictionary<string, IExeSysFunction>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (!_functions.TryAdd(function.Name, function))
            {
                throw new InvalidOperationException(
                    $"Two functions are named '{function.Name}': {_functions[function.Name].GetType().FullName} and {function.GetType().FullName}.");
            }
        }
    }

    public IReadOnlyList<string> Names => [.. _functions.Keys.Order(StringComparer.Ordinal)];

    public bool TryGet(string name, out IExeSysFunction function) => _functions.TryGetValue(name, out function!);
}
