namespace ExeSys.FunctionalModules;

/// <summary>
/// Thrown by a function to end its job in state 4 (error) at once, with a message meant for the client: the failure
/// is final, so no further attempt is made. Any other exception is retried with backoff while attempts remain
/// (<c>ExeSys:Jobs:MaxAttempts</c>, or a graph node's own), and ends the job in state 4 only after the last.
/// </summary>
public sealed class FunctionException : Exception
{
    /// <summary>Creates the exception with the message the client will read.</summary>
    public FunctionException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the message the client will read and its cause.</summary>
    public FunctionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public FunctionException() : base("The function failed.")
    {
    }
}
