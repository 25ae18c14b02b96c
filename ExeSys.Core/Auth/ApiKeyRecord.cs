using System.Text.Json.Serialization;

namespace ExeSys.Core.Auth;

/// <summary>
/// One API key as stored: everything but its secret, of which only the SHA-256 hash is kept (<see cref="Hash"/>, hex).
/// </summary>
public sealed record ApiKeyRecord(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("from")] IReadOnlyList<string> From,
    [property: JsonPropertyName("created_ms")] long CreatedMs,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("requests_per_minute")] int? RequestsPerMinute = null,
    [property: JsonPropertyName("long_polls")] int? LongPolls = null);

/// <summary>A stored key with its revocation time (Redis ms), if revoked.</summary>
public sealed record StoredApiKey(ApiKeyRecord Record, long? RevokedMs);

/// <summary>The whole key table at one version.</summary>
public sealed record ApiKeyTableSnapshot(long Version, IReadOnlyList<StoredApiKey> Keys);

[JsonSerializable(typeof(ApiKeyRecord))]
internal sealed partial class ApiKeyJsonContext : JsonSerializerContext;
