-- A process leaves cleanly. Registry slot: KEYS[1] members zset, KEYS[2] details hash.
-- ARGV: id, the process instance's token ('' = none)
-- Only the instance that holds the id removes it: a process that lost its id to another one leaves that one in place.
local token_field = ARGV[1] .. ':token'
local held = redis.call('HGET', KEYS[2], token_field)
if ARGV[2] and ARGV[2] ~= '' and held and held ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1], token_field)
return 1
