using System.Text.Json.Serialization;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;

namespace ExeSys.Api.Security;

/// <summary>What POST /keys and <c>ExeSys.Api keys create</c> take.</summary>
/// <param name="Name">Who the key is for; it names the key in the audit log.</param>
/// <param name="Tenant">The tenant whose jobs, runs, events and definitions the key sees (default: 'default', the open mode's).</param>
/// <param name="Scopes">Any of submit, read, operate, admin.</param>
/// <param name="From">Patterns of the 'from' values the key may submit as ('*' any run of characters, '?' one); default any.</param>
/// <param name="RequestsPerMinute">This key's own request rate limit (default ExeSys:Auth:RequestsPerMinute).</param>
/// <param name="LongPolls">This key's own limit of concurrent ?wait= requests (default ExeSys:Auth:LongPolls).</param>
public sealed record KeyRequest(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("tenant")] string? Tenant,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string>? Scopes,
    [property: JsonPropertyName("from")] IReadOnlyList<string>? From,
    [property: JsonPropertyName("requests_per_minute")] int? RequestsPerMinute = null,
    [property: JsonPropertyName("long_polls")] int? LongPolls = null);

/// <summary>A key as listed: never its secret nor its hash.</summary>
public sealed record KeyInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("from")] IReadOnlyList<string> From,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("revoked"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Revoked,
    [property: JsonPropertyName("requests_per_minute"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RequestsPerMinute,
    [property: JsonPropertyName("long_polls"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? LongPolls)
{
    public static KeyInfo Of(StoredApiKey k) => new(
        k.Record.Id, k.Record.Name, k.Record.Tenant, k.Record.Scopes, k.Record.From,
        DateTimeOffset.FromUnixTimeMilliseconds(k.Record.CreatedMs),
        k.RevokedMs is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null,
        k.Record.RequestsPerMinute, k.Record.LongPolls);
}

/// <summary>The new key: its secret appears here once and is never shown again.</summary>
public sealed record CreatedKey(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("info")] KeyInfo Info);

/// <summary>Create, list and revoke keys: the one logic behind the admin API and the operator command.</summary>
public sealed class KeyAdmin(RedisApiKeyStore store, TimeProvider time)
{
    private const int MaxPatterns = 32;

    /// <summary>Checks a request; the errors name the fields, as a ProblemDetails' 'errors'.</summary>
    public static Dictionary<string, string[]> Check(KeyRequest request, int maxIdLength)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["'name' is required: who the key is for (at most 200 characters); the audit log names the key by it."];
        }

        if (request.Tenant is { } tenant && JobIdentifiers.Check("tenant", tenant, Math.Min(maxIdLength, 64)) is { } badTenant)
        {
            errors["tenant"] = [badTenant];
        }

        if (request.Scopes is not { Count: > 0 } scopes || scopes.Any(s => !Scopes.All.Contains(s)))
        {
            errors["scopes"] = [$"'scopes' must list one or more of {string.Join(", ", Scopes.All)}."];
        }

        if (request.From is { } from && (from.Count is 0 or > MaxPatterns || from.Any(p => string.IsNullOrEmpty(p) || p.Length > maxIdLength || p.Any(c => c is not '*' and not '?' && JobIdentifiers.Check("from", c.ToString(), 1) is not null))))
        {
            errors["from"] = [$"'from' must list 1 to {MaxPatterns} patterns of {JobIdentifiers.AllowedDescription}, '*' and '?'."];
        }

        if (request.RequestsPerMinute is < 1 or > 100_000_000)
        {
            errors["requests_per_minute"] = ["'requests_per_minute' must be between 1 and 100000000."];
        }

        if (request.LongPolls is < 1 or > 1_000_000)
        {
            errors["long_polls"] = ["'long_polls' must be between 1 and 1000000."];
        }

        return errors;
    }

    /// <summary>Stores a checked request as a new key; returns its one-time secret.</summary>
    public async Task<CreatedKey> CreateAsync(KeyRequest request)
    {
        while (true)
        {
            var (id, key) = ApiKeySecret.Generate();
            var record = new ApiKeyRecord(id, request.Name!.Trim(), request.Tenant ?? TenantIds.DefaultTenant, [.. request.Scopes!.Distinct(StringComparer.Ordinal)],
                request.From ?? ["*"], time.GetUtcNow().ToUnixTimeMilliseconds(), ApiKeySecret.HashHex(key), request.RequestsPerMinute, request.LongPolls);
            // A clash of two random 48-bit ids is all but impossible; HSETNX refuses it, and a new id is drawn.
            if (await store.CreateAsync(record))
            {
                return new CreatedKey(key, KeyInfo.Of(new StoredApiKey(record, null)));
            }
        }
    }

    public async Task<IReadOnlyList<KeyInfo>> ListAsync() => [.. (await store.LoadAsync()).Keys.Select(KeyInfo.Of)];

    /// <summary>1 revoked, 2 already revoked, 0 no such key.</summary>
    public Task<int> RevokeAsync(string id) => store.RevokeAsync(id);
}
