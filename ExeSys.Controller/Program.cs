using ExeSys.Controller.Hosting;
using ExeSys.Core.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddExeSysController();
return await ExeSysHost.RunAsync(builder.Build());
