-- Assign the next position of an event, or return the visitor's first one.
-- KEYS[1] counters hash (its `era` field: the secret the request ids of this queue are signed
-- with, request-ids.ts), KEYS[2] the visitor key's bucket (16-byte digest -> position; any key
-- of the event when there is no visitor key), KEYS[3] entry-time changes zset (score position,
-- member "position:entryTime"; written only when the entry second changes), KEYS[4] the
-- client's rate budget in this event (gcra.lua, included in front).
-- ARGV[1] visitor field ('' = none), ARGV[2] now, ARGV[3] budget per minute ('' = no limit),
-- ARGV[4] now in ms, ARGV[5] the era the caller knows ('' = none), ARGV[6] a fresh era to
-- start the queue with when it has none ('' = ask for one).
-- Returns {position, entryTime, created (1/0), era ('' when it is ARGV[5])},
-- {'rate_limited', seconds} when the budget is spent (nothing taken), or {'no_era'} when the
-- queue has no era and ARGV[6] is empty (nothing taken: call again with one).
-- Every arrival runs this, so a new visitor costs few, cheap commands: no request id is stored
-- (the id carries the position), the visitor key is a small field of a small hash.
local field, now, perMinute = ARGV[1], ARGV[2], ARGV[3]

local state = redis.call('HMGET', KEYS[1], 'era', 'lastEntryTime')
local era = state[1]
if not era then
  if ARGV[6] == '' then return {'no_era'} end
  era = ARGV[6]
  redis.call('HSET', KEYS[1], 'era', era)
end
if era == ARGV[5] then era = '' end

if field ~= '' then
  local held = redis.call('HGET', KEYS[2], field)
  if held then
    local change = redis.call('ZREVRANGEBYSCORE', KEYS[3], held, '-inf', 'LIMIT', 0, 1)[1]
    return {tonumber(held), string.match(change, ':(%-?%d+)$'), 0, era}
  end
end
-- A new visitor (a known one never spends budget): in the same atomic step, so a refusal
-- takes no position.
if perMinute ~= '' then
  local retryAfter = takeRateToken(KEYS[4], tonumber(ARGV[4]), tonumber(perMinute))
  if retryAfter > 0 then return {'rate_limited', retryAfter} end
end
local position = redis.call('HINCRBY', KEYS[1], 'queue', 1)
if field ~= '' then redis.call('HSET', KEYS[2], field, position) end
if state[2] ~= now then
  redis.call('ZADD', KEYS[3], position, string.format('%d', position) .. ':' .. now)
  redis.call('HSET', KEYS[1], 'lastEntryTime', now)
end
return {position, now, 1, era}
