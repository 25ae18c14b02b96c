namespace ExeSys.FunctionalModules;

/// <summary>How a function runs.</summary>
public enum FunctionMode
{
    /// <summary>Runs once per job and returns its EOJ.</summary>
    SingleRun,

    /// <summary>
    /// Runs as a runner that keeps going until a stop is requested (<see cref="FunctionContext.StopRequested"/>):
    /// the job stays in state 2 meanwhile, may publish intermediate results (<see cref="FunctionContext.PublishAsync"/>),
    /// and ends in state 3 with the EOJ the function returns once it has stopped.
    /// </summary>
    ForeverRun,
}
