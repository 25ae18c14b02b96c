-- Remember a new graph run under its client, for cancel_all, and forget the client's runs older than the retention.
-- One client slot: KEYS[1] the client's runs (sorted set, score = created ms). ARGV: now_ms, job_id, oldest kept (ms).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
