using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExeSys.Api.SysCmd;

/// <summary>A JSON value kept as text (a job's EOJ from Redis) and written into replies as-is, without re-parsing.</summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(string Json);

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return new RawJson(doc.RootElement.GetRawText());
    }

    // The text came from a function's JsonNode, serialized by ExeSys itself, so it is known to be valid JSON.
    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
