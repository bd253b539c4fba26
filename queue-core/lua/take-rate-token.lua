-- Take one request from a rate budget of ARGV[2] a minute (GCRA; the same arithmetic as `gcra`
-- in memory-store.ts). The key holds the theoretical arrival time (ms) of the next request and
-- expires when the budget is full again.
-- KEYS[1] budget key. ARGV[1] now (ms), ARGV[2] requests per minute.
-- Returns 0 when taken, else the seconds (>= 1) until a request would be (nothing taken).
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + 60000 / tonumber(ARGV[2])
local over = nextTat - now - 60000
if over > 0 then
  return math.max(1, math.ceil(over / 1000))
end
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
return 0
