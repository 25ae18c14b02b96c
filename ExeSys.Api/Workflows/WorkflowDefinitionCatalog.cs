using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Workflows;

/// <summary>
/// Registers the named workflow definitions dropped as <c>name.json</c> into the workflows folder
/// (<see cref="ApiOptions.WorkflowsFolder"/>), which it reads at start and then every few seconds, into storage
/// (<see cref="IWorkflowDefinitions"/>), where every API instance sees them beside those registered through the API. A
/// file that is not a valid graph is logged and skipped.
/// </summary>
public sealed class WorkflowDefinitionCatalog(IWorkflowDefinitions definitions, IOptions<ApiOptions> options, TimeProvider time, ILogger<WorkflowDefinitionCatalog> logger) : BackgroundService
{
    private readonly Dictionary<string, DateTime> _loaded = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var folder = Path.GetFullPath(options.Value.WorkflowsFolder);
        using var timer = new PeriodicTimer(options.Value.WorkflowsRescan, time);
        do
        {
            try
            {
                await LoadFolderAsync(folder);
            }
#pragma warning disable CA1031 // A bad file or a Redis blip must not stop the rescans.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogWarning("Loading workflow definitions from {Folder} failed: {Error}", folder, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task LoadFolderAsync(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var written = File.GetLastWriteTimeUtc(file);
            if (_loaded.TryGetValue(name, out var seen) && seen == written)
            {
                continue;
            }

            // A file still being copied is caught next time: it fails to parse, or its write time moves on.
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            string text;
            try
            {
                text = await File.ReadAllTextAsync(file);
                using var doc = JsonDocument.Parse(text);
                if (WorkflowParser.Parse(doc.RootElement, _ => true, 128, [], errors) is null)
                {
                    logger.LogWarning("Workflow file {File} is not a valid graph: {Errors}", file, string.Join(" ", errors.Values.SelectMany(e => e)));
                    _loaded[name] = written;
                    continue;
                }

                text = WorkflowParser.Compact(doc.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                logger.LogWarning("Workflow file {File} cannot be read yet: {Error}", file, ex.Message);
                continue;
            }
#pragma warning disable CA1031 // One bad file must not keep the files after it from loading.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogWarning("Workflow file {File} is not a valid graph: {Error}", file, ex.Message);
                _loaded[name] = written;
                continue;
            }

            // Held to the endpoint's bounds; a refused file is tried again when it changes (a Redis error, next scan).
            if (DefinitionBounds.TooLarge(text, options.Value) is { } tooLarge)
            {
                logger.LogWarning("Workflow file {File} is not registered: {Reason}", file, tooLarge);
            }
            else if (!await definitions.SaveAsync(name, text, options.Value.MaxDefinitions))
            {
                logger.LogWarning("Workflow file {File} is not registered: {Reason}", file, DefinitionBounds.Full(name, options.Value));
            }
            else
            {
                logger.LogInformation("Registered workflow definition '{Name}' from {File}.", name, file);
            }

            _loaded[name] = written;
        }
    }
}
