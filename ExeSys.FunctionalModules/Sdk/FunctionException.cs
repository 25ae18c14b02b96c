namespace ExeSys.FunctionalModules;

/// <summary>
/// Thrown by a function to end its job in state 4 (error) with a message meant for the client.
/// Any other exception does the same; this one just says the failure was expected.
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
