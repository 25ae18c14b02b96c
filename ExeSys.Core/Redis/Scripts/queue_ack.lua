-- After a job's outcome is recorded: drop its lease, and enqueue what the outcome released. Queue slot:
-- KEYS[1] ready, KEYS[2] inflight, KEYS[3] scheduled.
-- ARGV: wake channel, member, retry_at ('' = none; else schedule the member again then), then score/member pairs
--       of workflow jobs promoted to state 0.
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
end
if #ARGV < 5 then
  return 0
end
local was_empty = redis.call('EXISTS', KEYS[1]) == 0
local args = {}
for i = 4, #ARGV do
  args[#args + 1] = ARGV[i]
end
local added = redis.call('ZADD', KEYS[1], 'NX', unpack(args))
if was_empty and added > 0 then
  redis.call('PUBLISH', ARGV[1], '1')
end
return added
