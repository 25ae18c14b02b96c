using ExeSys.Api.Hosting;
using ExeSys.Core.Registry;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Functions;

/// <summary>One function and the live workers that offer it.</summary>
public sealed record FunctionInfo(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("workers")] IReadOnlyList<string> Workers);

/// <summary>
/// The functions that live workers advertise, cached for <see cref="ApiOptions.FunctionCacheTtl"/> so a submit costs
/// no registry read. A command missing from the cache triggers one early refresh, so a function on a worker that
/// just started is found at once.
/// </summary>
public sealed class FunctionDirectory(ProcessRegistry registry, IOptions<ApiOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan MinRefreshGap = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile Snapshot _snapshot = new([], DateTimeOffset.MinValue);

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
            var functions = workers
                .SelectMany(w => w.Functions.Select(f => (Function: f, Worker: w.Id)))
                .GroupBy(x => x.Function, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FunctionInfo(g.Key, [.. g.Select(x => x.Worker).Distinct().Order(StringComparer.Ordinal)]))
                .ToList();
            return _snapshot = new Snapshot(functions, time.GetUtcNow());
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public void Dispose() => _refreshGate.Dispose();

    private sealed record Snapshot(IReadOnlyList<FunctionInfo> Functions, DateTimeOffset Taken)
    {
        private readonly HashSet<string> _names = [.. Functions.Select(f => f.Name)];

        public bool Contains(string name) => _names.Contains(name);
    }
}
