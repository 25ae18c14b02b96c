-- Register a named workflow definition, within the count bound. One slot: KEYS[1] the definitions hash.
-- ARGV: name, definition JSON, most definitions. Returns 1 saved (new, or replacing one of that name), 0 refused:
-- the hash already holds the most definitions and this name is new (nothing is written then).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
