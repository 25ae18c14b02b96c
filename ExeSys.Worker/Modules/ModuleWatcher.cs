using System.Globalization;
using System.Threading.Channels;
using ExeSys.Core.Registry;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using ExeSys.Worker.Observability;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Modules;

/// <summary>
/// Keeps the catalog in step with the modules folder, without a restart: a new sub-folder is loaded, a changed one
/// is loaded again (new jobs get the new version; running jobs finish on the old one, whose context is then
/// unloaded), and a removed one is withdrawn. A file watcher triggers a read at once and a periodic rescan catches
/// what watchers miss. A folder is (re)loaded only after its files have stayed unchanged for
/// <see cref="WorkerOptions.ModuleStableFor"/>, so a copy still in progress is never loaded.
/// <para>
/// A roll-out never takes a working function away (so it never fails a job for want of one):
/// <list type="bullet">
/// <item>A reload that fails (a broken or half-copied assembly, a missing dependency, a function name another module
/// has) keeps the working version loaded and offered; its advert carries the failure in <c>error</c>. The same files
/// are not tried again: the next change to the folder is.</item>
/// <item>A folder that is gone, or holds no file, withdraws its module only once it has stayed so for
/// <see cref="WorkerOptions.ModuleRemoveGrace"/>: an rm+cp replacement keeps the old version serving until the new one
/// has loaded. A module that serves nothing (it failed to load) goes at once.</item>
/// </list>
/// </para>
/// </summary>
internal sealed partial class ModuleWatcher(FunctionCatalog catalog, ModuleLoader loader, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ModuleWatcher> logger, WorkerMetrics? metrics = null) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly ModuleTrust _trust = new(options.Value.AllowedModuleHashes);

    /// <summary>The module each folder publishes: a working version, or (if none ever loaded) the failure.</summary>
    private readonly Dictionary<string, (string Fingerprint, LoadedModule Module)> _loaded = new(StringComparer.Ordinal);

    /// <summary>Folder contents that failed to load while an older version keeps serving; not tried again until they change.</summary>
    private readonly Dictionary<string, (string Fingerprint, string Reason)> _failedReload = new(StringComparer.Ordinal);

    /// <summary>Serving modules whose folder is gone or empty, and since when.</summary>
    private readonly Dictionary<string, DateTimeOffset> _missing = new(StringComparer.Ordinal);

    private readonly Dictionary<string, (string Fingerprint, DateTimeOffset Since)> _pending = new(StringComparer.Ordinal);
    private readonly Channel<byte> _poke = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var root = Path.GetFullPath(_options.ModulesFolder);
        Directory.CreateDirectory(root);
        using var watcher = new FileSystemWatcher(root) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        watcher.Changed += (_, _) => _poke.Writer.TryWrite(0);
        watcher.Created += (_, _) => _poke.Writer.TryWrite(0);
        watcher.Deleted += (_, _) => _poke.Writer.TryWrite(0);
        watcher.Renamed += (_, _) => _poke.Writer.TryWrite(0);
        LogWatching(root);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Scan(root);
            }
#pragma warning disable CA1031 // One failed scan (a folder vanishing mid-read) must not stop the watcher.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogWarning("Reading the modules folder failed: {Error}", ex.Message);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(NextLook());
            try
            {
                await _poke.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// Wake on a file event or the rescan period; while a module settles, look again once it may be stable, and while
    /// a folder is missing, look again when its grace ends, so a removal is withdrawn on time.
    /// </summary>
    private TimeSpan NextLook()
    {
        var wait = _options.ModulesRescan;
        if (_pending.Count > 0)
        {
            wait = Min(wait, _options.ModuleStableFor / 2);
        }

        if (_missing.Count > 0)
        {
            wait = Min(wait, _missing.Values.Min() + _options.ModuleRemoveGrace - time.GetUtcNow());
        }

        return wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait;

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    internal void Scan(string root)
    {
        var now = time.GetUtcNow();

        // A folder that holds no file counts as gone: 'rm -rf x/*' or the first instant of a copy into a new folder.
        var present = new Dictionary<string, (string Folder, string Fingerprint)>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(root))
        {
            var fingerprint = Fingerprint(folder);
            if (fingerprint.Length > 0)
            {
                present[Path.GetFileName(folder)] = (folder, fingerprint);
            }
        }

        var retired = new List<LoadedModule>();
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var attempted = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, (folder, fingerprint)) in present)
        {
            if (_missing.Remove(name))
            {
                touched.Add(name);
                LogBack(name);
            }

            if (_loaded.TryGetValue(name, out var loaded) && loaded.Fingerprint == fingerprint)
            {
                // Back to the files of the version that serves (e.g. the operator restored them after a bad copy).
                _pending.Remove(name);
                if (_failedReload.Remove(name))
                {
                    touched.Add(name);
                }

                continue;
            }

            if (_failedReload.TryGetValue(name, out var failed) && failed.Fingerprint == fingerprint)
            {
                _pending.Remove(name);
                continue;
            }

            if (!_pending.TryGetValue(name, out var pending) || pending.Fingerprint != fingerprint)
            {
                _pending[name] = (fingerprint, now);
                continue;
            }

            if (now - pending.Since < _options.ModuleStableFor)
            {
                continue;
            }

            _pending.Remove(name);
            touched.Add(name);
            attempted.Add(name);
            var module = Load(root, name, folder);
            if (module.Advert.Status != "loaded")
            {
                metrics?.ModuleLoadFailed();
            }

            var hasWorking = _loaded.TryGetValue(name, out var old) && old.Module.Advert.Status == "loaded";
            if (module.Advert.Status != "loaded" && hasWorking)
            {
                _failedReload[name] = (fingerprint, module.Advert.Error ?? "unknown error");
                LogReloadFailed(name, folder, module.Advert.Error ?? "unknown error", old.Module.Advert.Version);
                continue;
            }

            if (_loaded.ContainsKey(name))
            {
                retired.Add(old.Module);
            }

            _loaded[name] = (fingerprint, module);
            _failedReload.Remove(name);
        }

        foreach (var gone in _loaded.Keys.Where(n => !present.ContainsKey(n)).ToList())
        {
            var serving = _loaded[gone].Module.Advert.Status == "loaded";
            if (serving && !_missing.ContainsKey(gone))
            {
                _missing[gone] = now;
                touched.Add(gone);
                LogMissing(gone, _options.ModuleRemoveGrace);
            }

            if (serving && now - _missing[gone] < _options.ModuleRemoveGrace)
            {
                continue;
            }

            retired.Add(_loaded[gone].Module);
            _loaded.Remove(gone);
            _failedReload.Remove(gone);
            _missing.Remove(gone);
            touched.Add(gone);
            LogRemoved(gone);
        }

        foreach (var gone in _pending.Keys.Where(n => !present.ContainsKey(n)).ToList())
        {
            _pending.Remove(gone);
        }

        if (touched.Count == 0)
        {
            return;
        }

        var adverts = catalog.Publish([.. _loaded.Select(l => (Advertise(l.Key, l.Value.Module.Advert), l.Value.Module.Functions))]);
        foreach (var advert in adverts.Where(a => attempted.Contains(a.Name) && !_failedReload.ContainsKey(a.Name)))
        {
            if (advert.Status == "loaded")
            {
                LogLoaded(advert.Name, advert.Version, string.Join(", ", advert.Functions));
            }
            else
            {
                LogFailed(advert.Name, advert.Error ?? "unknown error");
            }
        }

        // Jobs that took a function of a retired module keep its context alive until they finish; then the GC frees it.
        foreach (var module in retired)
        {
            module.Context?.Unload();
        }
    }

    /// <summary>
    /// Loads the folder; a folder <see cref="ModuleTrust"/> refuses (a link out of the modules folder, a file not on
    /// the allow-list), or a version whose function names another module already serves, counts as failed.
    /// </summary>
    private LoadedModule Load(string root, string name, string folder)
    {
        if (_trust.Refusal(root, folder) is { } refusal)
        {
            return new LoadedModule(new ModuleAdvert(name, "?", "failed", refusal, []), [], null);
        }

        var module = loader.Load(name, folder, _trust);
        if (module.Advert.Status != "loaded" || catalog.ClashOf(name, module.Advert.Functions) is not { } clash)
        {
            return module;
        }

        module.Context?.Unload();
        return new LoadedModule(module.Advert with { Status = "failed", Error = clash, Functions = [] }, [], null);
    }

    /// <summary>
    /// What the worker tells the others about a serving module: its working version, plus (in <c>error</c>) why
    /// newer files did not replace it, or that its folder is gone and when it will be withdrawn.
    /// </summary>
    private ModuleAdvert Advertise(string name, ModuleAdvert advert)
    {
        if (_missing.ContainsKey(name))
        {
            return advert with
            {
                Error = string.Create(CultureInfo.InvariantCulture,
                    $"the folder is gone or empty; version {advert.Version} stays offered for ExeSys:Worker:ModuleRemoveGrace ({_options.ModuleRemoveGrace}) unless the folder comes back"),
            };
        }

        return _failedReload.TryGetValue(name, out var failed)
            ? advert with { Error = $"the folder's new files failed to load ({failed.Reason}); still serving version {advert.Version} until the folder changes again" }
            : advert;
    }

    /// <summary>
    /// The folder's files, sizes and times; empty when it holds no file. A folder that changes under the read (files
    /// deleted or renamed mid-way) gets a fingerprint that never repeats, so it counts as still being copied.
    /// </summary>
    private static string Fingerprint(string folder)
    {
        try
        {
            return string.Join('|',
                Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal)
                    .Select(f => new FileInfo(f))
                    .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}")));
        }
        catch (IOException)
        {
            return $"changing:{Guid.NewGuid():N}";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Folder} for function modules.")]
    private partial void LogWatching(string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module} {Version} loaded: {Functions}")]
    private partial void LogLoaded(string module, string version, string functions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Module {Module} failed to load: {Reason}. Every other function keeps working.")]
    private partial void LogFailed(string module, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module} was removed; its functions are withdrawn.")]
    private partial void LogRemoved(string module);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Module {Module} failed to reload from {Folder}: {Reason}. Version {Version} stays loaded and keeps serving; the folder is tried again when its files change.")]
    private partial void LogReloadFailed(string module, string folder, string reason, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module}'s folder is gone or empty; its functions stay offered for ExeSys:Worker:ModuleRemoveGrace ({Grace}) in case it is being replaced, then are withdrawn.")]
    private partial void LogMissing(string module, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module}'s folder is back; its functions were never withdrawn.")]
    private partial void LogBack(string module);
}
