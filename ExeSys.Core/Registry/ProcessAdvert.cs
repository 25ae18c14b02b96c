using System.Text.Json.Serialization;

namespace ExeSys.Core.Registry;

/// <summary>What a live worker or controller tells the others about itself, kept in the registry hash.</summary>
public sealed record ProcessAdvert(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("started")] DateTimeOffset Started,
    [property: JsonPropertyName("functions")] IReadOnlyList<string> Functions,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("modules")] IReadOnlyList<ModuleAdvert>? Modules = null,
    [property: JsonPropertyName("runners")] IReadOnlyList<string>? Runners = null,
    [property: JsonPropertyName("forever_functions")] IReadOnlyList<string>? ForeverFunctions = null,
    [property: JsonPropertyName("queues")] IReadOnlyList<string>? Queues = null,
    [property: JsonPropertyName("signature")] string? Signature = null);

/// <summary>A function module a worker loaded (or failed to load) from its modules folder.</summary>
/// <param name="Status">loaded or failed.</param>
/// <param name="Error">Why a failed module failed.</param>
public sealed record ModuleAdvert(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("functions")] IReadOnlyList<string> Functions);

[JsonSerializable(typeof(ProcessAdvert))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
