using System.Globalization;
using System.Threading.Channels;
using ExeSys.Worker.Functions;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Modules;

/// <summary>
/// Keeps the catalog in step with the modules folder, without a restart: a new sub-folder is loaded, a changed one
/// is loaded again (new jobs get the new version; running jobs finish on the old one, whose context is then
/// unloaded), and a removed one is withdrawn. A file watcher triggers a read at once and a periodic rescan catches
/// what watchers miss. A folder is (re)loaded only after its files have stayed unchanged for
/// <see cref="WorkerOptions.ModuleStableFor"/>, so a copy still in progress is never loaded.
/// </summary>
internal sealed partial class ModuleWatcher(FunctionCatalog catalog, ModuleLoader loader, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ModuleWatcher> logger) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly Dictionary<string, (string Fingerprint, LoadedModule Module)> _loaded = new(StringComparer.Ordinal);
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

            // Wake on a file event or the rescan period; while a module settles, look again once it may be stable.
            var wait = _pending.Count > 0 ? TimeSpan.FromMilliseconds(Math.Max(50, _options.ModuleStableFor.TotalMilliseconds / 2)) : _options.ModulesRescan;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(wait < _options.ModulesRescan ? wait : _options.ModulesRescan);
            try
            {
                await _poke.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    internal void Scan(string root)
    {
        var now = time.GetUtcNow();
        var present = Directory.GetDirectories(root).ToDictionary(d => Path.GetFileName(d), d => d, StringComparer.Ordinal);
        var retired = new List<LoadedModule>();
        var changed = false;

        foreach (var (name, folder) in present)
        {
            var fingerprint = Fingerprint(folder);
            if (_loaded.TryGetValue(name, out var loaded) && loaded.Fingerprint == fingerprint)
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
            var module = loader.Load(name, folder);
            changed = true;
            if (_loaded.TryGetValue(name, out var old))
            {
                retired.Add(old.Module);
            }

            _loaded[name] = (fingerprint, module);
        }

        foreach (var gone in _loaded.Keys.Where(n => !present.ContainsKey(n)).ToList())
        {
            retired.Add(_loaded[gone].Module);
            _loaded.Remove(gone);
            changed = true;
            LogRemoved(gone);
        }

        foreach (var gone in _pending.Keys.Where(n => !present.ContainsKey(n)).ToList())
        {
            _pending.Remove(gone);
        }

        if (!changed)
        {
            return;
        }

        var adverts = catalog.Publish([.. _loaded.Values.Select(l => (l.Module.Advert, l.Module.Functions))]);
        foreach (var advert in adverts.Where(a => a.Name != FunctionCatalog.BuiltinModule))
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

    private static string Fingerprint(string folder) => string.Join('|',
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f))
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}")));

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Folder} for function modules.")]
    private partial void LogWatching(string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module} {Version} loaded: {Functions}")]
    private partial void LogLoaded(string module, string version, string functions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Module {Module} failed to load: {Reason}. Every other function keeps working.")]
    private partial void LogFailed(string module, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Module {Module} was removed; its functions are withdrawn.")]
    private partial void LogRemoved(string module);
}
