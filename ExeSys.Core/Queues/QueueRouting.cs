using System.Text.RegularExpressions;
using ExeSys.Core.Redis;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Queues;

/// <summary>
/// Which queue a job waits in: the queue its submit named (kept in the job as field <c>q</c>), else its function's
/// route (<see cref="QueueOptions.Routes"/>), else <c>default</c>. Every process computes it the same way from the same
/// configuration, so only a submit's explicit choice is stored with the job.
/// </summary>
public sealed partial class QueueRouting(IOptions<QueueOptions> options)
{
    private readonly QueueOptions _options = options.Value;
    private readonly Dictionary<string, IReadOnlyList<string>> _routes =
        options.Value.Routes.ToDictionary(r => r.Key, r => Split(r.Value), StringComparer.Ordinal);

    public const string NameRule = "1 to 64 of a-z, 0-9, '_' and '-'";

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();

    internal static IReadOnlyList<string> Split(string queues) =>
        [.. queues.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>The queue of a job of <paramref name="function"/> whose submit named <paramref name="named"/> (null or "" = none).</summary>
    public string QueueOf(string function, string? named = null) =>
        !string.IsNullOrEmpty(named) ? named : _routes.TryGetValue(function, out var r) ? r[0] : QueueKeys.DefaultName;

    /// <summary>Whether a submit of <paramref name="function"/> may name <paramref name="queue"/>: any queue when the function has no route, else one of its route's.</summary>
    public bool Allows(string function, string queue) =>
        !_routes.TryGetValue(function, out var r) || r.Contains(queue, StringComparer.Ordinal);

    /// <summary>The queues a routed function may be submitted to, or null when it has no route.</summary>
    public IReadOnlyList<string>? RouteOf(string function) => _routes.GetValueOrDefault(function);

    /// <summary>Whether the function is routed by configuration (and so known even while no worker offers it).</summary>
    public bool IsRouted(string function) => _routes.ContainsKey(function);

    /// <summary>The queues the configuration names: <c>default</c>, <see cref="QueueOptions.Names"/> and every route's.</summary>
    public IReadOnlyList<string> Configured =>
        [.. new[] { QueueKeys.DefaultName }.Concat(_options.Names).Concat(_routes.Values.SelectMany(r => r)).Distinct(StringComparer.Ordinal)];

    /// <summary>Whether any unserved timeout is set (else every job waits for ever, and nothing needs checking).</summary>
    public bool HasUnservedTimeouts => _options.UnservedTimeout > TimeSpan.Zero || _options.UnservedTimeouts.Values.Any(t => t > TimeSpan.Zero);

    /// <summary>How long a job of the function waits while nobody offers it; null = for ever.</summary>
    public TimeSpan? UnservedTimeoutOf(string function)
    {
        var wait = _options.UnservedTimeouts.TryGetValue(function, out var w) ? w : _options.UnservedTimeout;
        return wait > TimeSpan.Zero ? wait : null;
    }
}
