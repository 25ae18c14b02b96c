using ExeSys.Api.Hosting;
using ExeSys.Core.Registry;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Functions;

/// <summary>One function, the module (and version) it comes from, and the live workers that offer it.</summary>
/// <param name="Module">builtin, or the modules-folder module that provides it.</param>
/// <param name="Mode">single (runs once per job) or forever (a runner that runs until stopped).</param>
public sealed record FunctionInfo(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("mode")] string Mode,
    [property: System.Text.Json.Serialization.JsonPropertyName("module")] string Module,
    [property: System.Text.Json.Serialization.JsonPropertyName("version")] string Version,
    [property: System.Text.Json.Serialization.JsonPropertyName("workers")] IReadOnlyList<string> Workers);

/// <summary>A module as one live worker has it: loaded with its functions, or failed with the reason.</summary>
public sealed record ModuleInfo(
    [property: System.Text.Json.Serialization.JsonPropertyName("worker")] string Worker,
    [property: System.Text.Json.Serialization.JsonPropertyName("module")] string Module,
    [property: System.Text.Json.Serialization.JsonPropertyName("version")] string Version,
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
    [property: System.Text.Json.Serialization.JsonPropertyName("error"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: System.Text.Json.Serialization.JsonPropertyName("functions")] IReadOnlyList<string> Functions);

/// <summary>
/// The functions that live workers advertise, cached for <see cref="ApiOptions.FunctionCacheTtl"/> so a submit costs
/// no registry read. A command missing from the cache triggers one early refresh, so a function on a worker that
/// just started is found at once.
/// </summary>
public sealed class FunctionDirectory(IProcessRegistry registry, IOptions<ApiOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan MinRefreshGap = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile Snapshot _snapshot = new([], [], DateTimeOffset.MinValue);

    public async Task<(bool Known, IReadOnlyList<FunctionInfo> All)> FindAsync(string cmd)
    {
        var snapshot = _snapshot;
        if (time.GetUtcNow() - snapshot.Taken > options.Value.FunctionCacheTtl ||
            (!snapshot.Contains(cmd) && time.GetUtcNow() - snapshot.Taken > MinRefreshGap))
        {
            snapshot = await RefreshAsync(snapshot);
        }

        return (snapshot.Contains(cmd), snapshot.Functions);
    }

    public async Task<IReadOnlyList<FunctionInfo>> ListAsync() => (await RefreshAsync(_snapshot)).Functions;

    /// <summary>The function names live workers offer, from the cache while it is fresh (for validating many names at once).</summary>
    public async Task<Func<string, bool>> KnownAsync()
    {
        var snapshot = _snapshot;
        if (time.GetUtcNow() - snapshot.Taken > options.Value.FunctionCacheTtl)
        {
            snapshot = await RefreshAsync(snapshot);
        }

        return snapshot.Contains;
    }

    public async Task<IReadOnlyList<ModuleInfo>> ListModulesAsync() => (await RefreshAsync(_snapshot)).Modules;

    private async Task<Snapshot> RefreshAsync(Snapshot seen)
    {
        await _refreshGate.WaitAsync();
        try
        {
            if (!ReferenceEquals(seen, _snapshot))
            {
                return _snapshot; // another request refreshed it while this one waited
            }

            var workers = await registry.GetLiveAsync(ProcessRole.Worker);
            var modules = workers
                .SelectMany(w => (w.Modules ?? []).Select(m => new ModuleInfo(w.Id, m.Name, m.Version, m.Status, m.Error, m.Functions)))
                .OrderBy(m => m.Module, StringComparer.Ordinal).ThenBy(m => m.Worker, StringComparer.Ordinal)
                .ToList();
            var origin = modules.Where(m => m.Status == "loaded")
                .SelectMany(m => m.Functions.Select(f => (Worker: m.Worker, Function: f, m.Module, m.Version)))
                .ToDictionary(x => (x.Worker, x.Function), x => (x.Module, x.Version));
            var forever = workers.SelectMany(w => w.ForeverFunctions ?? []).ToHashSet(StringComparer.Ordinal);
            var functions = workers
                .SelectMany(w => w.Functions.Select(f => (Function: f, Worker: w.Id, From: origin.GetValueOrDefault((w.Id, f), ("builtin", "")))))
                .GroupBy(x => x.Function, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FunctionInfo(g.Key, forever.Contains(g.Key) ? "forever" : "single", g.First().From.Item1, g.Select(x => x.From.Item2).Max(StringComparer.Ordinal) ?? "",
                    [.. g.Select(x => x.Worker).Distinct().Order(StringComparer.Ordinal)]))
                .ToList();
            return _snapshot = new Snapshot(functions, modules, time.GetUtcNow());
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public void Dispose() => _refreshGate.Dispose();

    private sealed record Snapshot(IReadOnlyList<FunctionInfo> Functions, IReadOnlyList<ModuleInfo> Modules, DateTimeOffset Taken)
    {
        private readonly HashSet<string> _names = [.. Functions.Select(f => f.Name)];

        public bool Contains(string name) => _names.Contains(name);
    }
}

/// <summary>A forever runner and the worker that holds it.</summary>
public sealed record RunnerInfo(
    [property: System.Text.Json.Serialization.JsonPropertyName("from")] string From,
    [property: System.Text.Json.Serialization.JsonPropertyName("job_id")] string JobId,
    [property: System.Text.Json.Serialization.JsonPropertyName("worker")] string Worker);
