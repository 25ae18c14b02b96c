-- Enqueue job references. Queue slot: KEYS[1] ready zset.
-- ARGV: wake channel, then score/member pairs.
-- NX keeps an already-queued job where it is, so enqueueing is idempotent.
-- Idle workers wait for a wake message; one is sent only when the queue goes from empty to non-empty.
local was_empty = redis.call('EXISTS', KEYS[1]) == 0
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = ARGV[i]
end
local added = redis.call('ZADD', KEYS[1], 'NX', unpack(args))
if was_empty and added > 0 then
  redis.call('PUBLISH', ARGV[1], '1')
end
return added
