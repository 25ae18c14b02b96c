-- Adds jobs or runs to a tenant's console index where no script of theirs may take it (a Redis Cluster, or
-- ExeSys:Redis:CombineSlots off: see RedisJobIndex). One slot: KEYS[1] the index (RedisKeys.RecentJobs or RecentRuns).
-- ARGV: 1 the bound to keep it about to (index_add in _common.lua), then the members (from:job_id), oldest first.
for i = 2, #ARGV do
  index_add(KEYS[1], ARGV[i], ARGV[1])
end
return 1
