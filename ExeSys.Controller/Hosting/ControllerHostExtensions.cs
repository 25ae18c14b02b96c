using ExeSys.Controller.Archiving;
using ExeSys.Controller.Ticking;
using ExeSys.Core.Hosting;

namespace ExeSys.Controller.Hosting;

public static class ControllerHostExtensions
{
    public static IHostApplicationBuilder AddExeSysController(this IHostApplicationBuilder builder)
    {
        builder.AddExeSysCore();
        builder.Services.AddOptions<ControllerOptions>().BindConfiguration(ControllerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<ControllerService>();
        builder.Services.AddSingleton<HistoryArchiver>();
        builder.Services.AddHostedService<HistoryArchiverService>();
        return builder;
    }
}
