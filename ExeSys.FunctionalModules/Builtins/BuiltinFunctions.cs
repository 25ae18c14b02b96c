using Microsoft.Extensions.DependencyInjection;

namespace ExeSys.FunctionalModules.Builtins;

/// <summary>Registers the functions that ship with ExeSys.</summary>
public static class BuiltinFunctions
{
    /// <summary>Adds <c>echo</c>, <c>sleep</c>, <c>fail</c>, <c>test_cmd</c>, <c>test_error_cmd</c>, <c>test_cmd_workflow</c>, <c>test_cmd_workflow_1</c>, <c>sum</c>, <c>wait_delay</c> and the runner <c>ticker</c>.</summary>
    public static IServiceCollection AddBuiltinFunctions(this IServiceCollection services)
    {
        services.AddOptions<BuiltinFunctionOptions>().BindConfiguration(BuiltinFunctionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IExeSysFunction, EchoFunction>();
        services.AddSingleton<IExeSysFunction, SleepFunction>();
        services.AddSingleton<IExeSysFunction, FailFunction>();
        services.AddSingleton<IExeSysFunction, TestCmdFunction>();
        services.AddSingleton<IExeSysFunction, TestErrorCmdFunction>();
        services.AddSingleton<IExeSysFunction, TestCmdWorkflowFunction>();
        services.AddSingleton<IExeSysFunction, TestCmdWorkflow1Function>();
        services.AddSingleton<IExeSysFunction, SumFunction>();
        services.AddSingleton<IExeSysFunction, WaitDelayFunction>();
        services.AddSingleton<IExeSysFunction, TickerFunction>();
        return services;
    }
}
