namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// ExeSys configuration for a test: the test Redis, a key prefix of its own, and short timings so tests do not wait
/// on production defaults. Keys use ':' (in-process configuration); <see cref="ToEnvironment"/> gives the '__' form.
/// </summary>
public sealed class TestSettings
{
    private readonly Dictionary<string, string?> _values;

    private TestSettings(Dictionary<string, string?> values) => _values = values;

    public string Prefix => _values["ExeSys:Redis:KeyPrefix"]!;

    public static TestSettings For(string prefix) => new(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["ExeSys:Redis:Connection"] = TestRedis.Endpoint,
        ["ExeSys:Redis:KeyPrefix"] = prefix,
        ["ExeSys:Redis:OperationTimeoutMs"] = "5000",
        ["ExeSys:Functions:TestCmdMaxDelayMs"] = "0",
        ["ExeSys:Worker:IdlePoll"] = "00:00:00.200",
        ["ExeSys:Api:FunctionCacheTtl"] = "00:00:00.200",
        ["ExeSys:Controller:TickInterval"] = "00:00:00.200",
    });

    public TestSettings With(string key, string? value)
    {
        var copy = new Dictionary<string, string?>(_values, StringComparer.OrdinalIgnoreCase) { [key] = value };
        return new TestSettings(copy);
    }

    public IReadOnlyDictionary<string, string?> Values => _values;

    /// <summary>The same settings as environment variables (ExeSys__Redis__Connection=...), as a real process reads them.</summary>
    public IReadOnlyDictionary<string, string?> ToEnvironment() =>
        _values.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value, StringComparer.Ordinal);
}
