using ExeSys.Core.Hosting;
using ExeSys.Worker.Hosting;

return await ExeSysHost.RunAsync(() =>
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddExeSysWorker();
    return builder.Build();
});
