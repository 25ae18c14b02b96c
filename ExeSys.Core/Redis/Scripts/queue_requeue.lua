-- Move jobs from inflight back to ready, and forget ended ones. Queue slot: KEYS[1] ready, KEYS[2] inflight.
-- ARGV: wake channel, number of requeue pairs n, then n score/member pairs, then members to drop.
local n = tonumber(ARGV[2])
local was_empty = redis.call('EXISTS', KEYS[1]) == 0
local added = 0
for i = 0, n - 1 do
  local score = ARGV[3 + i * 2]
  local member = ARGV[4 + i * 2]
  redis.call('ZREM', KEYS[2], member)
  added = added + redis.call('ZADD', KEYS[1], 'NX', score, member)
end
for i = 3 + n * 2, #ARGV do
  redis.call('ZREM', KEYS[2], ARGV[i])
end
if was_empty and added > 0 then
  redis.call('PUBLISH', ARGV[1], '1')
end
return added
