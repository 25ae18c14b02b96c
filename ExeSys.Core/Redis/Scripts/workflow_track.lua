-- Remember a new graph run under its client, for cancel_all, and forget the client's runs older than the retention.
-- One client slot: KEYS[1] the client's runs (sorted set, score = created ms). ARGV: now_ms, job_id, oldest kept (ms).
-- The set expires one retention after the client's last new run: by then every entry would be pruned anyway.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local added = redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) - tonumber(ARGV[3]))
return added
