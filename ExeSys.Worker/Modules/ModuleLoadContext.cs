using System.Reflection;
using System.Runtime.Loader;

namespace ExeSys.Worker.Modules;

/// <summary>
/// One module's collectible load context. The module shares only the SDK (<c>ExeSys.FunctionalModules</c>), the
/// libraries whose types the SDK hands to functions (StackExchange.Redis for the data store) and the framework with
/// the host; its own dependencies resolve from its folder. Assemblies load from bytes, never mapped
/// from the files, so copying a new version over the folder cannot disturb jobs still running on the old one.
/// </summary>
internal sealed class ModuleLoadContext(string name, string mainAssemblyPath, ModuleTrust? trust = null) : AssemblyLoadContext($"module:{name}", isCollectible: true)
{
    /// <summary>The SDK and the non-framework assemblies it references, so <c>IDatabase</c> is one type on both sides.</summary>
    private static readonly HashSet<string> Shared = SharedAssemblies();
    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    public Assembly LoadMain() => LoadBytes(mainAssemblyPath);

    /// <summary>A file of this name in a module's folder is never loaded from there: the host's copy is used.</summary>
    public static bool IsSharedFile(string fileName) =>
        fileName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && Shared.Contains(fileName[..^".dll".Length]);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (Shared.Contains(assemblyName.Name!))
        {
            return null; // the host's copy, so IExeSysFunction (and IDatabase) are the same types on both sides
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null || IsFramework(assemblyName))
        {
            return null;
        }

        return LoadBytes(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>
    /// The SDK and, transitively, every non-framework assembly it references (StackExchange.Redis, MongoDB.Driver,
    /// MongoDB.Bson...): a module's BsonDocument must be the host's, or the host's driver could not read it.
    /// </summary>
    private static HashSet<string> SharedAssemblies()
    {
        var sdk = typeof(FunctionalModules.IExeSysFunction).Assembly;
        var names = new HashSet<string>(StringComparer.Ordinal) { sdk.GetName().Name! };
        var pending = new Stack<Assembly>([sdk]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (IsFrameworkName(reference.Name!) || !names.Add(reference.Name!))
                {
                    continue;
                }

                try
                {
                    pending.Push(Default.LoadFromAssemblyName(reference));
                }
                catch (FileNotFoundException)
                {
                    // An optional dependency the host does not ship; nothing to share.
                }
            }
        }

        return names;
    }

    private static bool IsFrameworkName(string name) =>
        name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal) || name is "netstandard" or "mscorlib";

    private static bool IsFramework(AssemblyName name) =>
        Default.Assemblies.Any(a => a.GetName().Name == name.Name) && name.Name!.StartsWith("System", StringComparison.Ordinal);

    private Assembly LoadBytes(string path)
    {
        // The allow-list judges the very bytes that load, so a file swapped after the watcher's check is refused too.
        var bytes = File.ReadAllBytes(path);
        if (trust?.RefusalOf(Path.GetFileName(path), bytes) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        using var image = new MemoryStream(bytes);
        var pdbPath = Path.ChangeExtension(path, ".pdb");
        if (!File.Exists(pdbPath))
        {
            return LoadFromStream(image);
        }

        using var symbols = new MemoryStream(File.ReadAllBytes(pdbPath));
        return LoadFromStream(image, symbols);
    }
}
