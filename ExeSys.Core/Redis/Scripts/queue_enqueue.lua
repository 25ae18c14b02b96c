-- Enqueue job references. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset, KEYS[3] idle workers zset.
-- ARGV: wake channel, lease ms, then score/member pairs.
-- An idle worker (it runs nothing and found the queue empty) waits in KEYS[3], score = until when that wait counts.
-- The first job then goes straight to the freshest one: leased here on its behalf, and announced on the wake channel
-- as 'h\n<worker>\n<member>', so the worker starts it without a claim round trip. The rest go onto the ready queue.
local first = 3
local idle = redis.call('ZPOPMAX', KEYS[3])
if idle[1] and #ARGV >= 4 then
  local now = now_ms()
  if tonumber(idle[2]) < now then
    -- The freshest wait has lapsed, so every other one has too.
    redis.call('DEL', KEYS[3])
  elseif redis.call('ZADD', KEYS[2], 'NX', now + tonumber(ARGV[2]), ARGV[4]) == 1 then
    redis.call('PUBLISH', ARGV[1], 'h\n' .. idle[1] .. '\n' .. ARGV[4])
    first = 5
  else
    -- Already leased (a re-send of a running job): nothing to hand over, and the worker keeps waiting.
    redis.call('ZADD', KEYS[3], idle[2], idle[1])
  end
end
local items = {}
for i = first, #ARGV do
  items[#items + 1] = ARGV[i]
end
return enqueue_ready(KEYS[1], ARGV[1], items)
