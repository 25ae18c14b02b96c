using System.Reflection;
using ExeSys.Core.Registry;
using ExeSys.FunctionalModules;

namespace ExeSys.Worker.Modules;

/// <summary>A module as loaded: its advertisement, its functions, and the context to unload when it is replaced.</summary>
internal sealed record LoadedModule(ModuleAdvert Advert, IReadOnlyList<IExeSysFunction> Functions, ModuleLoadContext? Context);

/// <summary>
/// Loads one module folder into its own collectible context and creates its functions: every public, non-abstract
/// class that implements <see cref="IExeSysFunction"/>, built with a public constructor that takes nothing, or only
/// an <see cref="ILogger"/> and/or a <see cref="TimeProvider"/>. Anything that goes wrong makes a failed module with
/// the reason (naming the module's assembly file once it is known); it never throws.
/// </summary>
internal sealed class ModuleLoader(ILoggerFactory loggers, TimeProvider time)
{
    public LoadedModule Load(string name, string folder, ModuleTrust? trust = null)
    {
        ModuleLoadContext? context = null;
        string? main = null;
        try
        {
            main = FindMainAssembly(folder);
            context = new ModuleLoadContext(name, main, trust);
            var assembly = context.LoadMain();
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                ?? assembly.GetName().Version?.ToString() ?? "0";
            var functions = assembly.GetExportedTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IExeSysFunction).IsAssignableFrom(t))
                .Select(Create)
                .ToList();
            if (functions.Count == 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(main)} has no public class implementing IExeSysFunction.");
            }

            var duplicate = functions.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new InvalidOperationException($"more than one function is named '{duplicate.Key}'.");
            }

            return new LoadedModule(new ModuleAdvert(name, version, "loaded", null, [.. functions.Select(f => f.Name).Order(StringComparer.Ordinal)]), functions, context);
        }
#pragma warning disable CA1031 // A broken module is reported, never allowed to take the worker down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context?.Unload();
            var described = Describe(ex);
            var reason = main is null || described.StartsWith("refused:", StringComparison.Ordinal) ? described : $"{Path.GetFileName(main)}: {described}";
            return new LoadedModule(new ModuleAdvert(name, "?", "failed", reason, []), [], null);
        }
    }

    private static string FindMainAssembly(string folder)
    {
        // dotnet build writes one <Project>.deps.json beside the project's own assembly.
        // A copy of the SDK in the folder (from 'dotnet build -o') is never the module; the worker's own SDK is used.
        var sdk = typeof(IExeSysFunction).Assembly.GetName().Name + ".";
        var deps = Directory.GetFiles(folder, "*.deps.json").Where(d => !Path.GetFileName(d).StartsWith(sdk, StringComparison.Ordinal)).ToArray();
        if (deps.Length == 1)
        {
            var main = Path.Combine(folder, Path.GetFileName(deps[0])[..^".deps.json".Length] + ".dll");
            if (File.Exists(main))
            {
                return main;
            }
        }

        var dlls = Directory.GetFiles(folder, "*.dll").Where(d => !Path.GetFileName(d).StartsWith(sdk, StringComparison.Ordinal)).ToArray();
        return dlls.Length == 1
            ? dlls[0]
            : throw new InvalidOperationException(dlls.Length == 0
                ? "the folder holds no .dll"
                : "the folder holds several .dll files and no single <name>.deps.json to tell which is the module (copy a project's whole build output)");
    }

    private IExeSysFunction Create(Type type)
    {
        foreach (var ctor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = ctor.GetParameters();
            var args = new object?[parameters.Length];
            var usable = true;
            for (var i = 0; i < parameters.Length && usable; i++)
            {
                var p = parameters[i].ParameterType;
                args[i] = p == typeof(ILogger) ? loggers.CreateLogger(type.FullName ?? type.Name)
                    : p == typeof(TimeProvider) ? time
                    : null;
                usable = args[i] is not null;
            }

            if (usable)
            {
                return (IExeSysFunction)ctor.Invoke(args);
            }
        }

        throw new InvalidOperationException($"{type.FullName} needs a public constructor taking nothing, or only an ILogger and/or a TimeProvider.");
    }

    private static string Describe(Exception ex)
    {
        // Reflection wraps a throwing static constructor twice (TargetInvocationException, TypeInitializationException);
        // the reason a person can act on is the innermost message.
        var typeInit = false;
        var inner = ex;
        while (inner is TargetInvocationException or TypeInitializationException && inner.InnerException is not null)
        {
            typeInit |= inner is TypeInitializationException;
            inner = inner.InnerException;
        }

        return inner is BadImageFormatException ? $"not a valid .NET assembly ({inner.Message})"
            : typeInit ? $"a type failed to initialize: {inner.GetType().Name}: {inner.Message}"
            : inner is ReflectionTypeLoadException or FileNotFoundException or FileLoadException ? $"a dependency is missing: {inner.Message}"
            : inner.Message;
    }
}
