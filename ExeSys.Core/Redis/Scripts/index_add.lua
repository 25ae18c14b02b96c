-- Adds jobs or runs to a tenant's console index where no script of theirs may take it (a Redis Cluster, or
-- ExeSys:Redis:CombineSlots off: see RedisJobIndex). One slot: KEYS[1] the index (RedisKeys.RecentJobs or RecentRuns).
-- ARGV: 1 the bound to trim it to ('' = no trim this time), then score, member pairs (created ms, from:job_id).
local ZADD_CHUNK = 4000
for i = 2, #ARGV, ZADD_CHUNK do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + ZADD_CHUNK - 1, #ARGV)))
end
if ARGV[1] ~= '' then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[1]) - 1)
end
return 1
