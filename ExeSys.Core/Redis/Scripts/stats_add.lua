-- One worker's flush of its run statistics (RedisRunStats). The {stats} slot: KEYS[1] the current minute's hash,
-- KEYS[2] the current hour's. ARGV: 1 the minute hash's TTL ms, 2 the hour hash's TTL ms, then field/count pairs
-- ('<function>|<outcome>' or '<function>|#<bucket>', Stats/StatsField.cs), added to both hashes.
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
