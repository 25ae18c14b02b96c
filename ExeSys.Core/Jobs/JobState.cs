namespace ExeSys.Core.Jobs;

/// <summary>The state codes of the ExeSys design document; the numbers are part of the wire protocol.</summary>
public enum JobState
{
    Start = 0,
    Standby = 1,
    Processing = 2,
    DataAvailable = 3,
    Error = 4,
}

public static class JobStateNames
{
    /// <summary>The lower-case names clients see in <c>resp</c> and <c>status</c>.</summary>
    public static string ToWireName(this JobState state) => state switch
    {
        JobState.Start => "start",
        JobState.Standby => "standby",
        JobState.Processing => "processing",
        JobState.DataAvailable => "data_available",
        JobState.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool IsFinished(this JobState state) => state is JobState.DataAvailable or JobState.Error;
}
