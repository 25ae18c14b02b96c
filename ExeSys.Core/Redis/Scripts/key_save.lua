-- Store a new API key. One slot ({auth}): KEYS[1] keys hash, KEYS[2] revoked hash, KEYS[3] version.
-- ARGV: id, record JSON (the secret only as its hash), change channel, only_if_none ('1': the bootstrap key, stored
-- only when no key exists at all, so several API processes starting at once store one).
-- Returns 1 stored | 0 refused (the id is taken, or a key exists and only_if_none).
if ARGV[4] == '1' and redis.call('HLEN', KEYS[1]) > 0 then
  return 0
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('PUBLISH', ARGV[3], redis.call('INCR', KEYS[3]))
return 1
