-- Assign the next position of an event, or return the visitor's first one.
-- KEYS[1] counters hash (its `era` field: the secret the request ids of this queue are signed
-- with, request-ids.ts), KEYS[2] the visitor key's bucket (96-bit digest -> position; any key
-- of the event when there is no visitor key), KEYS[3] entry-time changes zset (score position,
-- member "position:entryTime"; written only when the entry second changes), KEYS[4] the
-- client's rate budget in this event (gcra.lua, included in front), KEYS[5] the pre-queue's
-- arrival-time changes zset (score arrival, member "arrival:entryTime"), KEYS[6] the draw's
-- ranks string (close-prequeue.lua and entry-of.lua are included in front too).
-- ARGV[1] visitor field ('' = none), ARGV[2] now, ARGV[3] budget per minute ('' = no limit),
-- ARGV[4] now in ms, ARGV[5] the era the caller knows ('' = none), ARGV[6] a fresh era to
-- start the queue with when it has none ('' = ask for one), ARGV[7] the pre-queue's startAt
-- ('' = the event has none), ARGV[8] its draw shuffles ('1'/'0'), ARGV[9] the longest line
-- ('' = none; API.md section 6 `maxQueueLength`), ARGV[10] '1': the event counts present visitors
-- (API.md section 6): a new position is seen now, in KEYS[7] present positions zset and KEYS[8]
-- last-seen zset (increment-serving.lua).
-- Returns {position, entryTime, created (1/0), era ('' when it is ARGV[5]), arrival},
-- {'rate_limited', seconds} when the budget is spent (nothing taken), {'queue_full'} when as
-- many wait as the line holds (nothing taken), or {'no_era'} when the
-- queue has no era and ARGV[6] is empty (nothing taken: call again with one). A pre-queue
-- arrival (API.md section 6) has an arrival number (> 0) and position 0 until its draw is done;
-- its visitor field holds minus its arrival number. An entry of no pre-queue has arrival 0.
-- Every arrival runs this, so a new visitor costs few, cheap commands: no request id is stored
-- (the id carries the position), the visitor key is a small field of a small hash.
local field, now, perMinute = ARGV[1], ARGV[2], ARGV[3]

local state = redis.call('HMGET', KEYS[1], 'era', 'lastEntryTime', 'draw', 'lastArrivalTime', 'queue', 'serving', 'pq')
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
    held = tonumber(held)
    if held > 0 then return {held, timeAt(KEYS[3], held), 0, era, 0} end
    local position = drawnPosition(KEYS[1], KEYS[6], -held)
    if position then return {position, timeAt(KEYS[3], position), 0, era, -held} end
    return {0, timeAt(KEYS[5], -held), 0, era, -held}
  end
end
-- A full line takes nobody new (checked before the budget, which a refusal does not spend):
-- those waiting are the pre-queue while it is open, else the positions not served yet.
local prequeueOpen = ARGV[7] ~= '' and not state[3] and tonumber(now) < tonumber(ARGV[7])
if ARGV[9] ~= '' then
  local waiting = tonumber(state[5] or '0') - tonumber(state[6] or '0')
  if prequeueOpen then
    waiting = tonumber(state[7] or '0')
  elseif ARGV[7] ~= '' and not state[3] then
    waiting = waiting + tonumber(state[7] or '0') -- the pre-queue this arrival closes
  end
  if waiting >= tonumber(ARGV[9]) then return {'queue_full'} end
end
-- A new visitor (a known one never spends budget): in the same atomic step, so a refusal
-- takes no position.
if perMinute ~= '' then
  local retryAfter = takeRateToken(KEYS[4], tonumber(ARGV[4]), tonumber(perMinute))
  if retryAfter > 0 then return {'rate_limited', retryAfter} end
end
local lastEntryTime = state[2]
if ARGV[7] ~= '' and not state[3] then
  if prequeueOpen then
    -- The pre-queue is open: an arrival number, no position (the draw gives it at startAt).
    local arrival = redis.call('HINCRBY', KEYS[1], 'pq', 1)
    if field ~= '' then redis.call('HSET', KEYS[2], field, -arrival) end
    if state[4] ~= now then
      redis.call('ZADD', KEYS[5], arrival, string.format('%d', arrival) .. ':' .. now)
      redis.call('HSET', KEYS[1], 'lastArrivalTime', now)
    end
    return {0, now, 1, era, arrival}
  end
  -- The first arrival after startAt closes the pre-queue, so its position follows the draw's.
  closePrequeue(KEYS[1], KEYS[3], now, ARGV[8])
  lastEntryTime = redis.call('HGET', KEYS[1], 'lastEntryTime')
end
local position = redis.call('HINCRBY', KEYS[1], 'queue', 1)
if field ~= '' then redis.call('HSET', KEYS[2], field, position) end
if ARGV[10] == '1' then
  redis.call('ZADD', KEYS[7], position, position)
  redis.call('ZADD', KEYS[8], now, position)
end
if lastEntryTime ~= now then
  redis.call('ZADD', KEYS[3], position, string.format('%d', position) .. ':' .. now)
  redis.call('HSET', KEYS[1], 'lastEntryTime', now)
end
return {position, now, 1, era, 0}
