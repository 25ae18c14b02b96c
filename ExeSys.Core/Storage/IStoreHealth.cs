namespace ExeSys.Core.Storage;

/// <param name="Reachable">Storage answered.</param>
/// <param name="Detail">ok, or why storage cannot be used.</param>
/// <param name="LatencyMs">The round trip of the check, when it answered.</param>
/// <param name="Memory">Storage's memory, when it answered and could tell.</param>
public sealed record StoreHealthReport(bool Reachable, string Detail, double? LatencyMs, StoreMemoryReport? Memory = null);

/// <param name="UsedBytes">Memory in use (of the fullest server, on a cluster).</param>
/// <param name="MaxBytes">The limit (Redis's maxmemory); 0 = none.</param>
/// <param name="Policy">What storage does at its limit (Redis's maxmemory-policy).</param>
/// <param name="Problem">Null, or why storage cannot take jobs safely: nearly full, or evicting keys.</param>
public sealed record StoreMemoryReport(long UsedBytes, long MaxBytes, string Policy, string? Problem);

/// <summary>Whether job storage can be reached, for the readiness probe.</summary>
public interface IStoreHealth
{
    Task<StoreHealthReport> CheckAsync();
}
