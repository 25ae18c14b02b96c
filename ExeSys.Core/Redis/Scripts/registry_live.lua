-- The live members and their details. Registry slot: KEYS[1] members zset, KEYS[2] details hash.
-- Returns a flat list id, details, id, details ...
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
if #ids == 0 then
  return {}
end
local details = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i = 1, #ids do
  out[#out + 1] = ids[i]
  out[#out + 1] = details[i] or ''
end
return out
