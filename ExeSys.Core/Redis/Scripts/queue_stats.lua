-- What GET /queues shows of one queue. Queue slot: KEYS[1] lanes index, KEYS[2] inflight, KEYS[3] scheduled,
-- KEYS[4] paused flag. ARGV: queue base.
-- Returns {paused (0|1), inflight count, scheduled count, fn, ready count, head score, fn, ...} over the non-empty
-- lanes: one ZCARD per lane, bounded by the functions with waiting jobs, never by the jobs.
local out = {redis.call('EXISTS', KEYS[4]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
local lanes = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #lanes, 2 do
  out[#out + 1] = lanes[i]
  out[#out + 1] = redis.call('ZCARD', lane_key(ARGV[1], lanes[i]))
  out[#out + 1] = lanes[i + 1]
end
return out
