-- Post an event: retain it for waiters that register soon after, and return who waits. One event slot:
-- KEYS[1] waiters hash, KEYS[2] recent events. ARGV: event JSON (unique: it carries an id), retention_ms, most
-- events retained. Returns {live, late}, each a list of member, condition pairs: live waiters, and late ones whose
-- time has passed (event_wait.lua) because their job stopped looking: it ended, was cancelled or expired, or it is
-- held (a paused run) or overdue (a controller away). The caller checks the late ones in their jobs' slots and
-- removes those that no longer wait.
local now, retention = now_ms(), tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - retention)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[2], retention)
local all = redis.call('HGETALL', KEYS[1])
local live, late = {}, {}
for i = 1, #all, 2 do
  local until_ms, rest = string.match(all[i + 1], '^(%d+)|%d+|(.*)$')
  if not until_ms then
    -- A waiter registered before waiters had a time: live until delivered.
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  elseif tonumber(until_ms) < now then
    late[#late + 1] = all[i]
    late[#late + 1] = rest
  else
    live[#live + 1] = all[i]
    live[#live + 1] = rest
  end
end
return {live, late}
