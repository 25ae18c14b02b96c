-- Ask a runner to stop. One job slot: KEYS[1] status hash. ARGV: stop channel, member.
-- The flag stays in the job, so a runner that has not started yet (or restarts on another worker) stops at once.
-- Returns 0 no such job | 1 stop requested | 2 the job had already ended (harmless).
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  return 0
end
if st == '3' or st == '4' then
  return 2
end
redis.call('HSET', KEYS[1], 'stop', '1')
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
