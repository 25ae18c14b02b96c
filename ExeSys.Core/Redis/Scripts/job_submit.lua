-- Submit-if-new. One job slot: KEYS[1] status hash, KEYS[2] data_available.
-- ARGV: to, cmd, data, priority, now_ms, watch (1 = publish on finish)
-- Returns {'new'} | {'conflict', st, to, cmd, data} | {'existing', st, to, cmd, data, pri, ct, ut, at, err, wk, result}
local f = redis.call('HMGET', KEYS[1], 'st', 'to', 'cmd', 'data', 'pri', 'ct', 'ut', 'at', 'err', 'wk', 'w')
if not f[1] then
  if ARGV[6] == '1' then
    redis.call('HSET', KEYS[1], 'st', '0', 'to', ARGV[1], 'cmd', ARGV[2], 'data', ARGV[3], 'pri', ARGV[4],
      'ct', ARGV[5], 'ut', ARGV[5], 'at', '0', 'w', '1')
  else
    redis.call('HSET', KEYS[1], 'st', '0', 'to', ARGV[1], 'cmd', ARGV[2], 'data', ARGV[3], 'pri', ARGV[4],
      'ct', ARGV[5], 'ut', ARGV[5], 'at', '0')
  end
  return {'new'}
end
if f[2] ~= ARGV[1] or f[3] ~= ARGV[2] or f[4] ~= ARGV[3] then
  return {'conflict', f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], false}
end
local result = false
if f[1] == '3' then
  result = redis.call('GET', KEYS[2])
elseif f[1] ~= '4' and ARGV[6] == '1' and not f[11] then
  redis.call('HSET', KEYS[1], 'w', '1')
end
return {'existing', f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], result}
