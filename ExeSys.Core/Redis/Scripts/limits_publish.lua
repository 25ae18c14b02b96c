-- Publish the limits (ExeSys:Limits) for the claim to read (_lanes.lua), replacing what was there. Queue slot:
-- KEYS[1] the limits hash. ARGV: scope/value pairs. Returns 1 when that changed what Redis held, else 0.
local old = redis.call('HGETALL', KEYS[1])
local same = #old == #ARGV
if same then
  local held = {}
  for i = 1, #old, 2 do
    held[old[i]] = old[i + 1]
  end
  for i = 1, #ARGV, 2 do
    if held[ARGV[i]] ~= ARGV[i + 1] then
      same = false
      break
    end
  end
end
if same then
  return 0
end
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV)))
end
return 1
