-- Create or update a schedule. Schedules slot: KEYS[1] due (name -> when the controller takes it, ms), KEYS[2] names
-- (the default tenant's schedules, score 0, for listing), KEYS[3] tenant_names (every other tenant's, by qualified
-- name <tenant>~<name>, score 0: one lex range per tenant). The bound counts both: it is global. A schedule's hash is <base>:s:<name> (RedisKeys.Schedule):
-- def (JSON), next (its next fire time, ms; absent once it has none), paused ('1'), last (its last run's job_id),
-- buf (a buffered firing's fire time), ct/ut.
-- ARGV: base, name, mode ('create' | 'update'), def, next ('' = none), due, max schedules, now, paused ('1', '0', '' = keep).
-- Returns 'ok', 'exists' (create of a name in use), 'missing' (update of none) or 'full' (create at the bound).
local s = schedule_key(ARGV[1], ARGV[2])
local exists = redis.call('EXISTS', s) == 1
if ARGV[3] == 'create' then
  if exists then
    return 'exists'
  end
  if redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then
    return 'full'
  end
  redis.call('HSET', s, 'ct', ARGV[8])
elseif not exists then
  return 'missing'
end
redis.call('HSET', s, 'def', ARGV[4], 'ut', ARGV[8])
if ARGV[9] == '1' then
  redis.call('HSET', s, 'paused', '1')
elseif ARGV[9] == '0' then
  redis.call('HDEL', s, 'paused')
end
if ARGV[5] == '' then
  redis.call('HDEL', s, 'next')
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('HSET', s, 'next', ARGV[5])
  if redis.call('HEXISTS', s, 'paused') == 1 then
    redis.call('ZREM', KEYS[1], ARGV[2])
  else
    redis.call('ZADD', KEYS[1], ARGV[6], ARGV[2])
  end
end
redis.call('ZADD', names_index(KEYS[2], KEYS[3], ARGV[2]), 0, ARGV[2])
return 'ok'
