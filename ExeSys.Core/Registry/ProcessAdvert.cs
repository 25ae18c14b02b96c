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
    [property: JsonPropertyName("running")] int Running);

[JsonSerializable(typeof(ProcessAdvert))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
