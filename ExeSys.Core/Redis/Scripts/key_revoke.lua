-- Revoke an API key: it stays listed, with the time of its revocation. One slot ({auth}): KEYS[1] keys hash,
-- KEYS[2] revoked hash, KEYS[3] version. ARGV: id, change channel.
-- Returns 1 revoked | 2 it already was | 0 no such key (nothing written).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 2
end
redis.call('HSET', KEYS[2], ARGV[1], now_ms())
redis.call('PUBLISH', ARGV[2], redis.call('INCR', KEYS[3]))
return 1
