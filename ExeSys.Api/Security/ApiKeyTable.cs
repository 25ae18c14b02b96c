using System.Net;
using System.Security.Claims;
using ExeSys.Api.Hosting;
using ExeSys.Core.Auth;
using ExeSys.Core.Hosting;
using ExeSys.Core.Redis;
using ExeSys.Core.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Api.Security;

/// <summary>
/// This API process's copy of the key table. A request is checked against it in memory, never against Redis: the
/// copy is read again when a change is published on the auth channel, and every
/// <see cref="AuthOptions.RefreshInterval"/> the process compares its version with Redis's (one GET), the safety net
/// for a missed publish. So a revocation holds on every API process within seconds.
/// It also decides the mode at start: open (no key anywhere, loopback only), or keys required; and refuses to run open
/// on a non-loopback address unless <see cref="AuthOptions.AllowOpen"/>.
/// </summary>
public sealed class ApiKeyTable(
    RedisApiKeyStore store,
    IConnectionMultiplexer redis,
    IOptions<AuthOptions> options,
    IOptions<ApiOptions> api,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ApiKeyTable> logger) : BackgroundService
{
    private const string BootstrapId = "bootstrap";
    private readonly SemaphoreSlim _reload = new(1, 1);
    private Table _current = Table.Initial(options.Value, IsLoopbackOnly(api.Value.Urls));
    private bool _warnedOpen;

    /// <summary>Whether the configured addresses are all loopback (localhost, 127.x, [::1]).</summary>
    public bool LoopbackOnly { get; } = IsLoopbackOnly(api.Value.Urls);

    public Table Current => Volatile.Read(ref _current);

    private int _kicked;

    /// <summary>
    /// Reads the table now, in the background, unless a reading asked for this way is still going: a request that
    /// finds the table unread (Redis was away at start) asks for it, so the API serves as soon as Redis is back rather
    /// than on the next refresh tick.
    /// </summary>
    public void RequestReload()
    {
        if (Interlocked.CompareExchange(ref _kicked, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ReloadAsync();
            }
#pragma warning disable CA1031 // A failed reading is retried by the next request or refresh tick.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogDebug("The API key table could not be read: {Reason}", ex.Message);
            }
            finally
            {
                Volatile.Write(ref _kicked, 0);
            }
        });
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(store.Channel, (_, _) => _ = ReloadAsync());
            if (options.Value.Required && options.Value.BootstrapKey is null)
            {
                await BootstrapAsync();
            }

            await ReloadAsync(throwOnFailure: true, starting: true);
        }
        catch (Exception ex) when (RedisFaults.IsRedisFailure(ex))
        {
            // Redis away at start: the API still starts. Until the table has been read, every endpoint but the
            // anonymous ones answers 503 (SecurityHostExtensions), on loopback too: it cannot tell whether keys exist.
            logger.LogWarning("The API key table could not be read yet ({Reason}); it is read again every {Interval}.", ex.Message, options.Value.RefreshInterval);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (!Current.Loaded || await store.VersionAsync() != Current.Version)
                {
                    await ReloadAsync(throwOnFailure: true);
                }
            }
#pragma warning disable CA1031 // A Redis blip must never stop the refresh, nor the API: StackExchange.Redis may end a
            // command on a hung connection with a bare TaskCanceledException, which stopped the host once (a
            // BackgroundService's unhandled exception stops it).
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                logger.LogWarning("The API key table could not be refreshed: {Reason}", ex.Message);
            }
        }
    }

    /// <summary>Reads the table again (one caller at a time) and applies the open-mode rules.</summary>
    public async Task ReloadAsync(bool throwOnFailure = false, bool starting = false)
    {
        await _reload.WaitAsync();
        try
        {
            var snapshot = await store.LoadAsync();
            var table = Table.Of(snapshot, options.Value);
            Volatile.Write(ref _current, table);
            CheckMode(table, starting);
        }
        catch (Exception ex) when (!throwOnFailure && RedisFaults.IsRedisFailure(ex))
        {
            logger.LogWarning("The API key table could not be read: {Reason}", ex.Message);
        }
        finally
        {
            _reload.Release();
        }
    }

    private void CheckMode(Table table, bool starting)
    {
        if (table.Enforced || _warnedOpen)
        {
            return;
        }

        _warnedOpen = true;
        if (!LoopbackOnly && !options.Value.AllowOpen)
        {
            var refusal = $"the API is bound to {api.Value.Urls}, which is not only loopback, and no API key exists. Create one " +
                "(ExeSys.Api keys create --name ops --scopes admin), set ExeSys__Auth__BootstrapKey or ExeSys__Auth__Required=true, " +
                "or set ExeSys__Auth__AllowOpen=true to run without keys.";
            logger.LogCritical("ExeSys cannot run: {Refusal}", refusal);
            if (starting)
            {
                // Before the server listens: the host never starts, and ExeSysHost prints this and exits with code 2.
                throw new StartRefusedException(refusal);
            }

            System.Console.Error.WriteLine($"ExeSys cannot run: {refusal}");
            Environment.ExitCode = 2;
            lifetime.StopApplication();
            return;
        }

        logger.LogWarning(
            "=== ExeSys API is OPEN: no API key exists, so anyone who reaches {Urls} can submit, read, cancel and change everything. " +
            "Create a key (ExeSys.Api keys create --name ops --scopes admin) to require keys. ===", api.Value.Urls);
    }

    /// <summary>Keys required and none exists: one admin key, stored only if still none exists (atomic, so several API processes store one), printed once.</summary>
    private async Task BootstrapAsync()
    {
        var (id, key) = ApiKeySecret.Generate();
        var record = new ApiKeyRecord(id, "bootstrap-admin", TenantIds.DefaultTenant, [Scopes.Admin], ["*"], time.GetUtcNow().ToUnixTimeMilliseconds(), ApiKeySecret.HashHex(key));
        if (await store.CreateAsync(record, onlyIfNone: true))
        {
            // The one time this secret is shown; only its hash is stored.
            logger.LogWarning("ExeSys generated the bootstrap admin API key (shown once, store it now): {BootstrapKey}", key);
        }
    }

    internal static bool IsLoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
        {
            var host = BindingAddress.Parse(url).Host;
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        });

    public override void Dispose()
    {
        _reload.Dispose();
        base.Dispose();
    }

    /// <summary>One immutable version of the table: the records by id, each with its hash and its ready identity.</summary>
    public sealed class Table
    {
        private readonly Dictionary<string, Entry> _byId;

        private Table(long version, bool loaded, bool enforced, Dictionary<string, Entry> byId)
        {
            Version = version;
            Loaded = loaded;
            Enforced = enforced;
            _byId = byId;
        }

        public long Version { get; }

        public bool Loaded { get; }

        /// <summary>Keys are required: a key exists (revoked ones count), or one is configured or required.</summary>
        public bool Enforced { get; }

        public int Count => _byId.Count;

        internal static Table Initial(AuthOptions options, bool loopbackOnly) =>
            new(-1, false, !loopbackOnly || options.Required || options.BootstrapKey is not null, WithBootstrap([], options));

        internal static Table Of(ApiKeyTableSnapshot snapshot, AuthOptions options)
        {
            var byId = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var key in snapshot.Keys)
            {
                byId[key.Record.Id] = Entry.Of(key.Record, key.RevokedMs is not null);
            }

            return new Table(snapshot.Version, true, byId.Count > 0 || options.Required || options.BootstrapKey is not null, WithBootstrap(byId, options));
        }

        private static Dictionary<string, Entry> WithBootstrap(Dictionary<string, Entry> byId, AuthOptions options)
        {
            if (options.BootstrapKey is { } configured)
            {
                var record = new ApiKeyRecord(BootstrapId, "bootstrap-admin", TenantIds.DefaultTenant, [Scopes.Admin], ["*"], 0, ApiKeySecret.HashHex(configured));
                byId[BootstrapId] = Entry.Of(record, revoked: false);
            }

            return byId;
        }

        /// <summary>The entry whose hash the presented key has, or null. A key not of the exs_ shape can only be the configured bootstrap key.</summary>
        public Entry? Find(string presented)
        {
            var id = ApiKeySecret.IdOf(presented) ?? BootstrapId;
            return _byId.TryGetValue(id, out var entry) && ApiKeySecret.Matches(presented, entry.Hash) ? entry : null;
        }
    }

    public sealed class Entry
    {
        private Entry(ApiKeyRecord record, byte[] hash, bool revoked, ApiKeyIdentity identity)
        {
            Record = record;
            Hash = hash;
            Revoked = revoked;
            Identity = identity;
            Principal = new ClaimsPrincipal(identity);
        }

        public ApiKeyRecord Record { get; }

        public byte[] Hash { get; }

        public bool Revoked { get; }

        public ApiKeyIdentity Identity { get; }

        /// <summary>Built once per table version and shared by the key's requests (nothing in the pipeline changes a request's User).</summary>
        public ClaimsPrincipal Principal { get; }

        internal static Entry Of(ApiKeyRecord record, bool revoked)
        {
            var caller = new Caller(record.Id, record.Name, record.Tenant, record.From, record.Scopes.Contains(Scopes.Admin), isOpen: false, record.RequestsPerMinute, record.LongPolls);
            var claims = Scopes.ClaimsOf(record.Scopes).Append(new Claim(ClaimTypes.Name, record.Name));
            return new Entry(record, Convert.FromHexString(record.Hash), revoked, new ApiKeyIdentity(caller, claims));
        }
    }
}
