-- Pause, resume or delete a schedule. Schedules slot: KEYS[1] due, KEYS[2] names, KEYS[3] tenant_names
-- (schedule_save.lua).
-- ARGV: base, name, action ('pause' | 'resume' | 'delete'), next ('' = none; resume only: its next fire time from now,
-- so the firings missed while paused are not caught up), due.
-- Returns 'ok' or 'missing'. A deleted schedule's pending firings are dropped when a controller next takes them.
local s = schedule_key(ARGV[1], ARGV[2])
if redis.call('EXISTS', s) == 0 then
  return 'missing'
end
if ARGV[3] == 'delete' then
  redis.call('DEL', s, runs_key(ARGV[1], ARGV[2]))
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('ZREM', names_index(KEYS[2], KEYS[3], ARGV[2]), ARGV[2])
elseif ARGV[3] == 'pause' then
  redis.call('HSET', s, 'paused', '1')
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('HDEL', s, 'paused')
  if ARGV[4] == '' then
    redis.call('HDEL', s, 'next')
    redis.call('ZREM', KEYS[1], ARGV[2])
  else
    redis.call('HSET', s, 'next', ARGV[4])
    redis.call('ZADD', KEYS[1], ARGV[5], ARGV[2])
  end
end
return 'ok'
