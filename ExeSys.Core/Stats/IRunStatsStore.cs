namespace ExeSys.Core.Stats;

/// <summary>The run statistics shared by every worker: time-bucketed counts in the store, merged on read.</summary>
public interface IRunStatsStore
{
    /// <summary>Adds one worker's counts (<see cref="StatsField"/> → count) to the current minute's and hour's buckets: one call.</summary>
    Task AddAsync(IReadOnlyList<KeyValuePair<string, long>> fields);

    /// <summary>The merged counts over the last minute, hour and day (<see cref="StatsWindows"/>): one call.</summary>
    Task<StatsWindows> ReadAsync();

    /// <summary>
    /// The last <paramref name="count"/> minute buckets, oldest first, each with its counts (<see cref="StatsField"/> → count,
    /// not merged): one call.
    /// </summary>
    Task<IReadOnlyList<StatsMinute>> ReadMinutesAsync(int count);
}

/// <summary>One minute bucket's counts; <see cref="Minute"/> is the Unix minute of Redis's clock, <see cref="NowMs"/> the clock when read.</summary>
public sealed record StatsMinute(long Minute, long NowMs, IReadOnlyDictionary<string, long> Fields);

/// <summary>
/// Counts (<see cref="StatsField"/> → count) per window: <see cref="Minute"/> is the current minute bucket and the one
/// before it, <see cref="Hour"/> the current minute bucket and the 60 before it, <see cref="Day"/> the current hour bucket
/// and the 24 before it; buckets are whole minutes and hours of Redis's clock.
/// </summary>
public sealed record StatsWindows(
    IReadOnlyDictionary<string, long> Minute,
    IReadOnlyDictionary<string, long> Hour,
    IReadOnlyDictionary<string, long> Day);
