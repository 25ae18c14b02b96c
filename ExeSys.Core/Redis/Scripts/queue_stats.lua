-- What GET /queues shows of one queue. Queue slot: KEYS[1] lanes index, KEYS[2] inflight, KEYS[3] scheduled,
-- KEYS[4] the limited lanes with waiting jobs. ARGV: queue base.
-- Returns {paused (0|1), inflight count, scheduled count, fn, waiting count, head score, fn, ...}, one entry per
-- function with waiting jobs. A function's count is its lane's jobs plus the jobs of its limited lanes (whose tokens
-- in its lane are not jobs; a parked limited lane has no token there), and its head the earliest of them (a lane's
-- index score, which a token shares with its limited lane's first job). Cost: one
-- ZCARD per non-empty lane and two reads per non-empty limited lane, bounded by the lanes, never by the jobs.
local base = ARGV[1]
local paused = redis.call('ZSCORE', KEYS[1], '~paused') and 1 or 0
local out = {paused, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
local count, head, order = {}, {}, {}
local function note(fn, n, score)
  if count[fn] == nil then
    count[fn] = 0
    order[#order + 1] = fn
  end
  count[fn] = count[fn] + n
  if score and (head[fn] == nil or tonumber(score) < head[fn]) then
    head[fn] = tonumber(score)
  end
end
local lanes = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #lanes, 2 do
  if string.byte(lanes[i], 1) ~= 126 then
    note(lanes[i], redis.call('ZCARD', lane_key(base, lanes[i])), lanes[i + 1])
  end
end
for _, lane in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  local first = redis.call('ZRANGE', base .. ':lane:' .. lane, 0, 0, 'WITHSCORES')
  if first[1] then
    local fn = lane_parts(lane)
    local token = redis.call('ZSCORE', lane_key(base, fn), '~' .. lane) and 1 or 0
    note(fn, redis.call('ZCARD', base .. ':lane:' .. lane) - token, first[2])
  end
end
for _, fn in ipairs(order) do
  if count[fn] > 0 then
    out[#out + 1] = fn
    out[#out + 1] = count[fn]
    out[#out + 1] = string.format('%.17g', head[fn] or 0)
  end
end
return out
