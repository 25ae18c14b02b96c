using System.Text.Json;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Security;

/// <summary>
/// The operator command: <c>ExeSys.Api keys create|list|revoke ...</c> (what <c>./start_exe_sys.sh keys</c> runs). It
/// reads the same configuration as the API (appsettings.json, ExeSys__* variables), connects to Redis, does the one
/// command and exits. A created key's secret is printed once, on standard output.
/// </summary>
public static class KeysCommand
{
    private const string Usage = """
        Usage: ExeSys.Api keys create --name <who> --scopes submit,read[,operate,admin] [--tenant <t>] [--from 'shop-*,ops'] [--requests-per-minute n] [--long-polls n]
               ExeSys.Api keys list
               ExeSys.Api keys revoke <id>
        """;

    public static bool Handles(string[] args) => args is ["keys", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.AddExeSysCore();
        builder.Services.AddSingleton<KeyAdmin>();
        builder.Logging.ClearProviders();
        using var host = builder.Build();
        var admin = host.Services.GetRequiredService<KeyAdmin>();
        var maxIdLength = host.Services.GetRequiredService<IOptions<JobOptions>>().Value.MaxIdLength;
        try
        {
            return args[1..] switch
            {
                ["create", .. var rest] => await CreateAsync(admin, rest, maxIdLength),
                ["list"] => await ListAsync(admin),
                ["revoke", var id] => await RevokeAsync(admin, id),
                _ => await FailAsync(Usage),
            };
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return await FailAsync($"Redis could not be reached: {ex.Message}");
        }
    }

    private static async Task<int> CreateAsync(KeyAdmin admin, string[] args, int maxIdLength)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return await FailAsync($"'{args[i]}' is not an option with a value.\n{Usage}");
            }

            options[args[i][2..]] = args[i + 1];
        }

        static string[]? List(string? text) => text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        static int? Number(string? text) => int.TryParse(text, out var n) ? n : text is null ? null : -1;
        var request = new KeyRequest(options.GetValueOrDefault("name"), options.GetValueOrDefault("tenant"), List(options.GetValueOrDefault("scopes")),
            List(options.GetValueOrDefault("from")), Number(options.GetValueOrDefault("requests-per-minute")), Number(options.GetValueOrDefault("long-polls")));
        if (KeyAdmin.Check(request, maxIdLength) is { Count: > 0 } errors)
        {
            return await FailAsync(string.Join(" ", errors.SelectMany(e => e.Value)) + "\n" + Usage);
        }

        var created = await admin.CreateAsync(request);
        System.Console.WriteLine($"Created key {created.Info.Id} ({created.Info.Name}, tenant {created.Info.Tenant}, scopes {string.Join(",", created.Info.Scopes)}).");
        System.Console.WriteLine("The key, shown only this once:");
        System.Console.WriteLine(created.Key);
        return 0;
    }

    private static async Task<int> ListAsync(KeyAdmin admin)
    {
        System.Console.WriteLine(JsonSerializer.Serialize(await admin.ListAsync(), ApiJsonContext.Default.IReadOnlyListKeyInfo));
        return 0;
    }

    private static async Task<int> RevokeAsync(KeyAdmin admin, string id)
    {
        switch (await admin.RevokeAsync(id))
        {
            case 0:
                return await FailAsync($"There is no API key '{id}'.");
            case 2:
                System.Console.WriteLine($"Key {id} was already revoked.");
                return 0;
            default:
                System.Console.WriteLine($"Key {id} is revoked; every API process refuses it within seconds.");
                return 0;
        }
    }

    private static async Task<int> FailAsync(string message)
    {
        await System.Console.Error.WriteLineAsync(message);
        return 2;
    }
}
