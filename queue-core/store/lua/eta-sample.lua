-- Keep one admitted visitor's wait-estimate sample (wait-estimate accuracy, API.md section 6):
-- the newest ARGV[2] samples of the event, newest first.
-- KEYS[1] samples list.
-- ARGV[1] the sample "estimate:actual" (seconds), ARGV[2] how many to keep.
-- Returns nothing.
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return nil
