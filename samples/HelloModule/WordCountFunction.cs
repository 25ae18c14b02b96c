using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.FunctionalModules;
using Microsoft.Extensions.Logging;

namespace HelloModule;

/// <summary><c>word_count</c>: counts the words of the text in <c>data</c>. Shows a constructor that takes a logger.</summary>
public sealed class WordCountFunction(ILogger logger) : IExeSysFunction
{
    public string Name => "word_count";

    public ValueTask<JsonNode?> RunAsync(FunctionContext context)
    {
        if (context.Data.ValueKind != JsonValueKind.String)
        {
            throw new FunctionException("word_count needs data to be a string.");
        }

        var words = context.Data.GetString()!.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        logger.LogInformation("Counted {Words} words for job {Job}", words, context.JobId);
        return ValueTask.FromResult<JsonNode?>(JsonValue.Create(words));
    }
}
