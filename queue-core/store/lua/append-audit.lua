-- Prepend one audit entry (JSON) and keep only the newest ARGV[2].
-- KEYS[1] audit list.
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1
