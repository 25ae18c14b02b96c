namespace ExeSys.Core.Storage;

/// <param name="Reachable">Storage answered.</param>
/// <param name="Detail">ok, or why storage cannot be used.</param>
/// <param name="LatencyMs">The round trip of the check, when it answered.</param>
public sealed record StoreHealthReport(bool Reachable, string Detail, double? LatencyMs);

/// <summary>Whether job storage can be reached, for the readiness probe.</summary>
public interface IStoreHealth
{
    Task<StoreHealthReport> CheckAsync();
}
