-- Move the serving counter by ARGV[1] (may be negative), never below 0 nor above ARGV[3]
-- (2^53 − 1: every value up to it is exact in a Lua number and a JavaScript number), and
-- record the change in the serving history. A decrease drops history rows above the new
-- value: those positions are reached afresh when the counter comes back. A row already at
-- the new value keeps its time: the positions it covers were reached back then.
-- KEYS[1] counters hash, KEYS[2] history zset (score = member = serving value),
-- KEYS[3] history rows hash (serving -> "time:served:0"; the last field is unused).
-- ARGV[1] by, ARGV[2] now, ARGV[3] largest serving value, ARGV[5] (optional) 'queue': an
-- increase stops at the queue counter (the last position assigned) and never moves a
-- counter that is already past it; a decrease is not capped. Only the periodic inlet
-- (advance-on-tick.lua, whose ARGV[4] is the tick) passes it, so an idle queue does not
-- bank admissions; admin increments (no ARGV[5]) are not capped.
-- Returns {serving counter before, serving counter after}.
-- Numbers are turned into text with '%d': Lua's own conversion keeps 14 digits only.
local by, now, max = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
local nextValue = current + by
if ARGV[5] == 'queue' and by > 0 then
  local queue = tonumber(redis.call('HGET', KEYS[1], 'queue') or '0')
  nextValue = math.min(nextValue, math.max(current, queue))
end
if nextValue < 0 then nextValue = 0 end
if nextValue > max then nextValue = max end
if nextValue == current then return {current, current} end

local value = string.format('%d', nextValue)
redis.call('HSET', KEYS[1], 'serving', value)
if nextValue < current then
  local above = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. value, '+inf')
  for _, serving in ipairs(above) do
    redis.call('HDEL', KEYS[3], serving)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. value, '+inf')
end
if not redis.call('ZSCORE', KEYS[2], value) then
  redis.call('ZADD', KEYS[2], value, value)
  redis.call('HSET', KEYS[3], value, now .. ':0:0')
end
return {current, nextValue}
