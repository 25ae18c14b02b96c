-- Move scheduled jobs whose time has come (retries after backoff, deferrals) to the ready queue. Queue slot:
-- KEYS[1] scheduled, KEYS[2] ready. ARGV: wake channel, max count. Returns how many moved.
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then
  return 0
end
local items, members = {}, {}
for i = 1, #due, 2 do
  items[#items + 1] = due[i + 1]
  items[#items + 1] = due[i]
  members[#members + 1] = due[i]
end
redis.call('ZREM', KEYS[1], unpack(members))
enqueue_ready(KEYS[2], ARGV[1], items)
return #members
