-- Move the serving counter by ARGV[1] (may be negative), never below 0, and record the
-- change in the serving history. A decrease drops history rows above the new value:
-- those positions are reached afresh when the counter comes back. A row already at the
-- new value keeps its time: the positions it covers were reached back then.
-- KEYS[1] counters hash, KEYS[2] history zset (score = member = serving value),
-- KEYS[3] history rows hash (serving -> "time:served:accounted").
-- ARGV[1] by, ARGV[2] now. Returns the new serving counter.
local by, now = tonumber(ARGV[1]), ARGV[2]
local current = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
local nextValue = current + by
if nextValue < 0 then nextValue = 0 end
if nextValue == current then return current end

redis.call('HSET', KEYS[1], 'serving', nextValue)
if nextValue < current then
  local above = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. nextValue, '+inf')
  for _, serving in ipairs(above) do
    redis.call('HDEL', KEYS[3], serving)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. nextValue, '+inf')
end
if not redis.call('ZSCORE', KEYS[2], nextValue) then
  redis.call('ZADD', KEYS[2], nextValue, nextValue)
  redis.call('HSET', KEYS[3], nextValue, now .. ':0:0')
end
return nextValue
