-- A rate budget of `perMinute` requests a minute (GCRA; the same arithmetic as `gcra` in
-- memory-store.ts), included in front of the scripts that draw on one. The key holds the
-- theoretical arrival time (ms) of the next request and expires when the budget is full again.
-- Returns 0 when one request was taken, else the seconds (>= 1) until one would be (nothing
-- taken). With `peek` true nothing is taken either way: it only says whether one would be.
local function takeRateToken(key, now, perMinute, peek)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nextTat = tat + 60000 / perMinute
  local over = nextTat - now - 60000
  if over > 0 then
    return math.max(1, math.ceil(over / 1000))
  end
  if not peek then
    redis.call('SET', key, string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
  end
  return 0
end
