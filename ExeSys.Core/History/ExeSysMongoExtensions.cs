using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace ExeSys.Core.History;

public static class ExeSysMongoExtensions
{
    /// <summary>
    /// Binds and validates <c>ExeSys:Mongo</c> and registers <see cref="ExeSysMongo"/> (the shared client), an
    /// <see cref="IMongoDatabase"/> for code that needs the raw database (resolving it throws when MongoDB is not
    /// configured: check <see cref="ExeSysMongo.Enabled"/>), and the read side of the job history. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddExeSysMongo(this IServiceCollection services)
    {
        services.AddOptions<MongoOptions>().BindConfiguration(MongoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MongoOptions>, MongoOptionsValidator>());
        services.TryAddSingleton<ExeSysMongo>();
        services.TryAddSingleton(sp => sp.GetRequiredService<ExeSysMongo>().Database);
        services.TryAddSingleton<HistoryCollections>();
        services.TryAddSingleton<IJobHistory, MongoJobHistory>();
        return services;
    }
}
