using System.ComponentModel.DataAnnotations;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>Settings of the built-in functions (section <c>ExeSys:Functions</c>).</summary>
public sealed class BuiltinFunctionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ExeSys:Functions";

    /// <summary>The upper bound of <c>test_cmd</c>'s random delay, in milliseconds. The original waited up to 2000; tests use 0.</summary>
    [Range(0, 600_000, ErrorMessage = "ExeSys:Functions:TestCmdMaxDelayMs must be 0..600000.")]
    public int TestCmdMaxDelayMs { get; set; } = 2000;

    /// <summary>The longest delay <c>sleep</c> accepts, in milliseconds.</summary>
    [Range(0, 86_400_000, ErrorMessage = "ExeSys:Functions:SleepMaxMs must be 0..86400000.")]
    public int SleepMaxMs { get; set; } = 3_600_000;
}
