-- Assign the next position of an event, or return the visitor's first entry.
-- KEYS[1] counters hash, KEYS[2] entries hash (requestId -> "position:entryTime"),
-- KEYS[3] visitors hash (visitorKey -> requestId), KEYS[4] entry-time changes zset
-- (score position, member "position:entryTime"; written only when the entry second changes),
-- KEYS[5] the client's rate budget in this event (gcra.lua, included in front).
-- ARGV[1] requestId, ARGV[2] visitorKey ('' = none), ARGV[3] now,
-- ARGV[4] budget per minute ('' = no limit), ARGV[5] now in ms.
-- Returns {requestId, "position:entryTime", created (1/0)}, or {'rate_limited', seconds}
-- when the budget is spent (nothing taken).
-- Every arrival runs this, so a new visitor costs as few commands as possible: the visitor key
-- is claimed and tested in one HSETNX (not HGET, then HSET), and so is the entry.
local requestId, visitorKey, now, perMinute = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if visitorKey ~= '' and redis.call('HSETNX', KEYS[3], visitorKey, requestId) == 0 then
  local existingId = redis.call('HGET', KEYS[3], visitorKey)
  return {existingId, redis.call('HGET', KEYS[2], existingId), 0}
end
-- A new visitor (a known one never spends budget): in the same atomic step, so a refusal
-- takes no position, and no budget is spent by a request that takes none.
if perMinute ~= '' then
  local retryAfter = takeRateToken(KEYS[5], tonumber(ARGV[5]), tonumber(perMinute))
  if retryAfter > 0 then
    if visitorKey ~= '' then
      redis.call('HDEL', KEYS[3], visitorKey)
    end
    return {'rate_limited', retryAfter}
  end
end
local position = redis.call('HINCRBY', KEYS[1], 'queue', 1)
local record = string.format('%d', position) .. ':' .. now
if redis.call('HSETNX', KEYS[2], requestId, record) == 0 then
  -- A retried call with the same request id is idempotent too: give the position back (the
  -- script is atomic, so nobody saw it taken) and do not let the retry claim the visitor key.
  redis.call('HINCRBY', KEYS[1], 'queue', -1)
  if visitorKey ~= '' then
    redis.call('HDEL', KEYS[3], visitorKey)
  end
  return {requestId, redis.call('HGET', KEYS[2], requestId), 0}
end
if redis.call('HGET', KEYS[1], 'lastEntryTime') ~= now then
  redis.call('ZADD', KEYS[4], position, record)
  redis.call('HSET', KEYS[1], 'lastEntryTime', now)
end
return {requestId, record, 1}
