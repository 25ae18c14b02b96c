using System.Globalization;
using System.Text;
using ExeSys.Api.Hosting;

namespace ExeSys.Api.Workflows;

/// <summary>
/// The bounds on named workflow definitions (ExeSys:Api:MaxDefinitions, MaxDefinitionBytes), shared by the endpoint and
/// the workflows-folder loader, so the definitions hash in Redis holds at most their product.
/// </summary>
internal static class DefinitionBounds
{
    /// <summary>Why a definition's compact JSON is too large to store, or null when it fits.</summary>
    public static string? TooLarge(string json, ApiOptions options)
    {
        var bytes = Encoding.UTF8.GetByteCount(json);
        return bytes <= options.MaxDefinitionBytes
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"The definition is {bytes} bytes as compact JSON; at most {options.MaxDefinitionBytes} are stored (ExeSys:Api:MaxDefinitionBytes).");
    }

    /// <summary>The message for a new definition refused because the store holds the most.</summary>
    public static string Full(string name, ApiOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"'{name}' is a new definition, and {options.MaxDefinitions} are stored already (ExeSys:Api:MaxDefinitions). DELETE /workflows/definitions/{{name}} one you no longer need, or replace one of the same name.");
}
