-- Read one job. One job slot: KEYS[1] status hash (its data_available text in field 'da').
-- ARGV: watch (1 = publish on finish)
-- Returns false | {st, to, cmd, data, pri, ct, ut, at, err, wk, result, retry_at, errors, progress}
local f = redis.call('HMGET', KEYS[1], 'st', 'to', 'cmd', 'data', 'pri', 'ct', 'ut', 'at', 'err', 'wk', 'w', 'ra', 'errs', 'prog', 'da')
if not f[1] then
  return false
end
local result = false
if f[1] == '3' then
  result = f[15]
elseif f[1] ~= '4' and ARGV[1] == '1' and not f[11] then
  redis.call('HSET', KEYS[1], 'w', '1')
end
return {f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], result, f[12], f[13], f[14]}
