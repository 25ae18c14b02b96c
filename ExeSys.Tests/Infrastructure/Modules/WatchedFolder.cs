extern alias worker;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Registry;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using worker::ExeSys.Worker.Functions;
using worker::ExeSys.Worker.Hosting;
using worker::ExeSys.Worker.Modules;

namespace ExeSys.Tests.Infrastructure.Modules;

/// <summary>
/// The worker's own module machinery, in-process: a <see cref="ModuleWatcher"/> over a temp modules folder feeding a
/// <see cref="FunctionCatalog"/>. The test drives the scans and the watcher's clock (how long files have been stable);
/// the functions run on the real clock.
/// </summary>
internal sealed class WatchedFolder : IDisposable
{
    public static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);

    /// <summary>How long a serving module's folder may be gone before its functions are withdrawn.</summary>
    public static readonly TimeSpan RemoveGrace = TimeSpan.FromSeconds(5);

    private readonly ModuleWatcher _watcher;

    /// <param name="allowList">ExeSys:Worker:ModuleAllowList: the SHA-256 hashes of the module files that may load (none: any).</param>
    public WatchedFolder(params string[] allowList)
    {
        Root = Directory.CreateTempSubdirectory("exesys-watched-").FullName;
        Catalog = new FunctionCatalog([]);
        var options = Options.Create(new WorkerOptions
        {
            ModulesFolder = Root,
            ModuleStableFor = StableFor,
            ModuleRemoveGrace = RemoveGrace,
            ModuleAllowList = [.. allowList],
        });
        _watcher = new ModuleWatcher(Catalog, new ModuleLoader(NullLoggerFactory.Instance, TimeProvider.System), options, Time, NullLogger<ModuleWatcher>.Instance);
    }

    public string Root { get; }

    public FakeTimeProvider Time { get; } = new();

    public FunctionCatalog Catalog { get; }

    public string PathOf(string module) => Path.Combine(Root, module);

    /// <summary>One read of the folder, as the watcher does on a file event or a rescan.</summary>
    public void Scan() => _watcher.Scan(Root);

    /// <summary>Reads the folder, lets its files count as stable, and reads it again: whatever is there is (re)loaded.</summary>
    public void ScanUntilStable()
    {
        Scan();
        Time.Advance(StableFor);
        Scan();
    }

    public ModuleAdvert? Advert(string module) => Catalog.Modules.SingleOrDefault(m => m.Name == module);

    /// <summary>Runs the catalog's function <paramref name="name"/> as a worker would, and waits for its EOJ.</summary>
    public JsonNode? Run(string name, string dataJson = "null")
    {
        if (!Catalog.TryGet(name, out var function))
        {
            throw new InvalidOperationException($"No function '{name}'; modules: {string.Join("; ", Catalog.Modules)}");
        }

        return Start(function, dataJson).GetAwaiter().GetResult();
    }

    /// <summary>Starts one run of <paramref name="function"/> without waiting for it.</summary>
    public static Task<JsonNode?> Start(IExeSysFunction function, string dataJson = "null")
    {
        ArgumentNullException.ThrowIfNull(function);
        using var data = JsonDocument.Parse(dataJson);
        var context = new FunctionContext("test", "job", "end_job", function.Name, data.RootElement.Clone(), 1, NullLogger.Instance, CancellationToken.None);
        return function.RunAsync(context).AsTask();
    }

    public void Dispose()
    {
        _watcher.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
