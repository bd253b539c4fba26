-- What a wait-estimate sample of an admitted position needs (wait-estimate accuracy, API.md
-- section 6), read from the serving history, which is kept whole: the time the row that first
-- covered the position was written (when the position was reached), and the newest ARGV[3]
-- rows written at or before ARGV[2] (the history as it stood when the position was taken).
-- Rows sorted by serving value are sorted by time too (a decrease drops the rows above it), so
-- the last row at or before a time is found by a binary search over ranks.
-- KEYS[1] history zset (score = member = serving value), KEYS[2] history rows hash
-- (serving -> "time:served:0").
-- ARGV[1] position, ARGV[2] time (epoch seconds), ARGV[3] most rows.
-- Returns {reachedTime or '', serving, "time:served:0", ...} (rows oldest first).
local position, at, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function timeAt(rank)
  local serving = redis.call('ZRANGE', KEYS[1], rank, rank)[1]
  local row = redis.call('HGET', KEYS[2], serving) or '0'
  return tonumber(string.match(row, '^(%d+)')), serving, row
end

local result = {''}
local covering = redis.call('ZRANGEBYSCORE', KEYS[1], position, '+inf', 'LIMIT', 0, 1)[1]
if covering then
  result[1] = string.match(redis.call('HGET', KEYS[2], covering) or '', '^(%d+)') or ''
end

-- The last rank whose row was written at or before `at` (-1: none).
local low, high = 0, redis.call('ZCARD', KEYS[1]) - 1
local last = -1
while low <= high do
  local mid = math.floor((low + high) / 2)
  if timeAt(mid) <= at then
    last = mid
    low = mid + 1
  else
    high = mid - 1
  end
end
if last >= 0 then
  local first = math.max(0, last - limit + 1)
  for _, serving in ipairs(redis.call('ZRANGE', KEYS[1], first, last)) do
    result[#result + 1] = serving
    result[#result + 1] = redis.call('HGET', KEYS[2], serving)
  end
end
return result
