using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.FunctionalModules.Builtins;

internal static class JsonDataHelpers
{
    public static JsonNode? Clone(JsonElement data) =>
        data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : JsonNode.Parse(data.GetRawText());
}
