using ExeSys.Controller.Hosting;
using ExeSys.Core.Hosting;

return await ExeSysHost.RunAsync(() =>
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddExeSysController();
    return builder.Build();
});
