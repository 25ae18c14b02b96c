-- A process leaves cleanly. Registry slot: KEYS[1] members zset, KEYS[2] details hash. ARGV: id
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
