namespace ExeSys.Core.Registry;

public enum ProcessRole
{
    Worker,
    Controller,
}

/// <summary>
/// Live workers and controllers, advertised by heartbeat. A process that stops heart-beating drops out after its
/// time-to-live, so a crashed process needs no clean-up.
/// </summary>
public interface IProcessRegistry
{
    /// <summary>Advertises a live process until <paramref name="ttl"/> from now.</summary>
    Task HeartbeatAsync(ProcessAdvert advert, TimeSpan ttl);

    /// <summary>Drops a process that is stopping.</summary>
    Task LeaveAsync(ProcessRole role, string id);

    Task<IReadOnlyList<ProcessAdvert>> GetLiveAsync(ProcessRole role);
}
