namespace ExeSys.Core.Registry;

public enum ProcessRole
{
    Worker,
    Controller,
}

/// <summary>What a heartbeat did: advertised the process, or was refused because another live instance holds its id.</summary>
/// <param name="HeldFor">When refused: how much longer the other instance holds the id, unless it beats again.</param>
public readonly record struct HeartbeatReply(bool Advertised, TimeSpan HeldFor);

/// <summary>
/// Live workers and controllers, advertised by heartbeat. A process that stops heart-beating drops out after its
/// time-to-live, so a crashed process needs no clean-up.
/// </summary>
public interface IProcessRegistry
{
    /// <summary>
    /// Advertises a live process until <paramref name="ttl"/> from now. An id belongs to one process instance at a
    /// time: while another live instance holds the advert's id, nothing is written and the reply says so.
    /// </summary>
    Task<HeartbeatReply> HeartbeatAsync(ProcessAdvert advert, TimeSpan ttl);

    /// <summary>Drops a process that is stopping (unless another instance holds its id now).</summary>
    Task LeaveAsync(ProcessRole role, string id);

    Task<IReadOnlyList<ProcessAdvert>> GetLiveAsync(ProcessRole role);
}
