using StackExchange.Redis;

namespace ExeSys.Core.Configuration;

/// <summary>
/// The StackExchange.Redis configuration every ExeSys connection is built from: the connection string, then the
/// credentials and TLS of <see cref="RedisOptions"/> (environment variables such as <c>ExeSys__Redis__Password</c>).
/// The shared multiplexer of each process and the functions' data store both go through here, so a setting applies to both.
/// </summary>
public static class RedisConnection
{
    /// <param name="connection">The connection string: <see cref="RedisOptions.Connection"/>, or the data store's own.</param>
    /// <param name="options">Its credentials and TLS apply only when <paramref name="applyAccess"/> (the same server as <see cref="RedisOptions.Connection"/>).</param>
    public static ConfigurationOptions Configure(string connection, RedisOptions options, bool applyAccess = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = ConfigurationOptions.Parse(connection);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = options.ConnectTimeoutMs;
        if (!applyAccess)
        {
            return config;
        }

        if (!string.IsNullOrEmpty(options.User))
        {
            config.User = options.User;
        }

        if (!string.IsNullOrEmpty(options.Password))
        {
            config.Password = options.Password;
        }

        if (options.Tls)
        {
            config.Ssl = true;
            if (!string.IsNullOrEmpty(options.TlsHost))
            {
                config.SslHost = options.TlsHost;
            }

            if (!string.IsNullOrEmpty(options.TlsCaFile))
            {
                config.TrustIssuer(options.TlsCaFile);
            }

            if (!string.IsNullOrEmpty(options.TlsClientCertFile) && !string.IsNullOrEmpty(options.TlsClientKeyFile))
            {
                config.SetUserPemCertificate(options.TlsClientCertFile, options.TlsClientKeyFile);
            }
        }

        return config;
    }

    /// <summary>The connection string with any password in it replaced by <c>*****</c>: what may be logged or shown.</summary>
    public static string Redact(string connection)
    {
        try
        {
            return ConfigurationOptions.Parse(connection).ToString(includePassword: false);
        }
        catch (ArgumentException)
        {
            return "(an unreadable connection string)";
        }
    }
}
