using ExeSys.Core.Registry;
using ExeSys.FunctionalModules;

namespace ExeSys.Worker.Functions;

/// <summary>A function and where it came from: a module (folder) and its version, or the built-ins.</summary>
public sealed record FunctionEntry(IExeSysFunction Function, string Module, string Version);

/// <summary>
/// The functions this worker can run, by command name: the built-ins plus every loaded module. Modules come and go
/// while the worker runs; the catalog swaps in a new immutable snapshot each time, so a job that already took its
/// function keeps running on it (and on its module's version) while new jobs see the new one.
/// </summary>
public sealed class FunctionCatalog
{
    public const string BuiltinModule = "builtin";

    private readonly Dictionary<string, FunctionEntry> _builtins;
    private readonly ModuleAdvert _builtinAdvert;
    private volatile Snapshot _snapshot;

    public FunctionCatalog(IEnumerable<IExeSysFunction> builtins)
    {
        _builtins = new Dictionary<string, FunctionEntry>(StringComparer.Ordinal);
        var version = typeof(IExeSysFunction).Assembly.GetName().Version?.ToString() ?? "0";
        foreach (var function in builtins)
        {
            if (!_builtins.TryAdd(function.Name, new FunctionEntry(function, BuiltinModule, version)))
            {
                throw new InvalidOperationException(
                    $"Two functions are named '{function.Name}': {_builtins[function.Name].Function.GetType().FullName} and {function.GetType().FullName}.");
            }
        }

        _builtinAdvert = new ModuleAdvert(BuiltinModule, version, "loaded", null, [.. _builtins.Keys.Order(StringComparer.Ordinal)]);
        _snapshot = new Snapshot(_builtins, [_builtinAdvert]);
    }

    /// <summary>Raised after the set of functions or modules changed, so the worker can advertise it at once.</summary>
    public event Action? Changed;

    public IReadOnlyList<string> Names => [.. _snapshot.Functions.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The functions that run as forever runners.</summary>
    public IReadOnlyList<string> RunnerNames =>
        [.. _snapshot.Functions.Where(f => f.Value.Function.Mode == FunctionMode.ForeverRun).Select(f => f.Key).Order(StringComparer.Ordinal)];

    public IReadOnlyList<ModuleAdvert> Modules => _snapshot.Modules;

    public bool TryGet(string name, out IExeSysFunction function)
    {
        var found = _snapshot.Functions.TryGetValue(name, out var entry);
        function = entry?.Function!;
        return found;
    }

    /// <summary>
    /// Why a new version of <paramref name="module"/> with these function names could not be published now, or null:
    /// a name that a built-in or another module already serves. Asked before the new version replaces the old one, so
    /// a reload that clashes is refused and the old version keeps serving (<see cref="Publish"/> alone would fail the
    /// whole module, or the other one, by name order).
    /// </summary>
    internal string? ClashOf(string module, IEnumerable<string> names)
    {
        var functions = _snapshot.Functions;
        foreach (var name in names)
        {
            if (functions.TryGetValue(name, out var entry) && entry.Module != module)
            {
                return $"function '{name}' is already provided by module '{entry.Module}'";
            }
        }

        return null;
    }

    /// <summary>
    /// Replaces the module functions; returns every module's advertisement, the built-ins first. <paramref name="modules"/> holds every module's functions (empty for a failed
    /// one) and its advertisement. A function name already taken by a built-in or an earlier module fails the later module.
    /// </summary>
    internal IReadOnlyList<ModuleAdvert> Publish(IReadOnlyList<(ModuleAdvert Advert, IReadOnlyList<IExeSysFunction> Functions)> modules)
    {
        // A clash is settled by who was first: modules already serving go before newcomers, whatever their names.
        var serving = _snapshot.Modules.Where(m => m.Status == "loaded").Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var functions = new Dictionary<string, FunctionEntry>(_builtins, StringComparer.Ordinal);
        var adverts = new List<ModuleAdvert> { _builtinAdvert };
        foreach (var (advert, moduleFunctions) in modules.OrderBy(m => serving.Contains(m.Advert.Name) ? 0 : 1).ThenBy(m => m.Advert.Name, StringComparer.Ordinal))
        {
            var clash = moduleFunctions.FirstOrDefault(f => functions.ContainsKey(f.Name));
            if (clash is not null)
            {
                adverts.Add(advert with
                {
                    Status = "failed",
                    Error = $"function '{clash.Name}' is already provided by module '{functions[clash.Name].Module}'",
                    Functions = [],
                });
                continue;
            }

            foreach (var function in moduleFunctions)
            {
                functions[function.Name] = new FunctionEntry(function, advert.Name, advert.Version);
            }

            adverts.Add(advert);
        }

        _snapshot = new Snapshot(functions, adverts);
        Changed?.Invoke();
        return adverts;
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, FunctionEntry> Functions, IReadOnlyList<ModuleAdvert> Modules);
}
