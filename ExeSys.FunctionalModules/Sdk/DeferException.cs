namespace ExeSys.FunctionalModules;

/// <summary>
/// Thrown by a function to be run again at <see cref="Until"/> without holding a worker slot meanwhile: the job waits
/// in state 1 (standby) and the attempt does not count. On the next run <see cref="FunctionContext.DeferredUntil"/>
/// carries the time asked for.
/// </summary>
public sealed class DeferException : Exception
{
    /// <summary>Asks to be run again at <paramref name="until"/>.</summary>
    public DeferException(DateTimeOffset until) : base($"Deferred until {until:O}.") => Until = until;

    /// <summary>Use <see cref="DeferException(DateTimeOffset)"/>.</summary>
    public DeferException() : this(DateTimeOffset.UnixEpoch)
    {
    }

    /// <summary>Use <see cref="DeferException(DateTimeOffset)"/>.</summary>
    public DeferException(string message) : base(message)
    {
    }

    /// <summary>Use <see cref="DeferException(DateTimeOffset)"/>.</summary>
    public DeferException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>When the function wants to run again.</summary>
    public DateTimeOffset Until { get; }
}
