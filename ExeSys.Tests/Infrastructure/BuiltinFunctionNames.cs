namespace ExeSys.Tests.Infrastructure;

public static class BuiltinFunctionNames
{
    /// <summary>
    /// The functions every ExeSys worker has shipped with since the first version. Workers offer more (newer
    /// built-ins, loaded modules), so tests expect at least these; where the exact list matters, they compare
    /// with the worker's own catalog.
    /// </summary>
    public static readonly IReadOnlyList<string> Original = ["echo", "fail", "sleep", "test_cmd", "test_cmd_workflow", "test_error_cmd"];
}
