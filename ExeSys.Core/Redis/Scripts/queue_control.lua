-- Pause or resume a queue. Queue slot: KEYS[1] lanes index, KEYS[2] the offer signatures of its idle sets.
-- ARGV: 'pause' | 'resume', wake channel, queue base.
-- A paused queue is marked by the member '~paused' (RedisKeys.QueueKeys.PausedMarker) in its lanes index, where each
-- claim's one ZMSCORE reads it (queue_claim.lua), and at +inf in each idle set, where a handoff's ZPOPMAX meets it
-- first (take_idle_worker in _common.lua); an idle set created while paused gets it from the claim or idle wait that
-- creates it (queue_claim.lua, queue_idle.lua). So nothing new starts, running jobs finish, and an unpaused queue
-- pays nothing for the check. Resuming wakes the workers of every non-empty lane, since no enqueue may announce them.
-- Returns 1 when the state changed, 0 when it already was so.
local base = ARGV[3]
local sigs = redis.call('SMEMBERS', KEYS[2])
if ARGV[1] == 'pause' then
  if redis.call('ZADD', KEYS[1], 'NX', 0, '~paused') == 0 then
    return 0
  end
  for _, sig in ipairs(sigs) do
    redis.call('ZADD', base .. ':idle:' .. sig, '+inf', '~paused')
  end
  return 1
end
if redis.call('ZREM', KEYS[1], '~paused') == 0 then
  return 0
end
for _, sig in ipairs(sigs) do
  redis.call('ZREM', base .. ':idle:' .. sig, '~paused')
end
for _, fn in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  redis.call('PUBLISH', ARGV[2], '1\n' .. fn)
end
return 1
