using System.Security.Cryptography;
using System.Text;

namespace ExeSys.Core.Queues;

/// <summary>
/// What one worker serves: its queues, in order of preference, and the functions it offers, with their signature
/// (a content hash of the sorted function list). Idle workers wait for handoffs in one idle set per signature, so an
/// enqueue hands a job only to a worker whose signature offers the job's function; a homogeneous fleet has one.
/// </summary>
public sealed record WorkerOffer
{
    public WorkerOffer(IReadOnlyList<string> queues, IEnumerable<string> functions)
    {
        Queues = queues;
        Functions = [.. functions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        Signature = SignatureOf(Functions);
    }

    public IReadOnlyList<string> Queues { get; }

    /// <summary>Sorted, distinct.</summary>
    public IReadOnlyList<string> Functions { get; }

    public string Signature { get; }

    /// <summary>The first 16 hex digits of the SHA-256 of the sorted function names, one per line: the same set, the same signature, on every worker.</summary>
    public static string SignatureOf(IEnumerable<string> functions)
    {
        var text = string.Join('\n', functions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
