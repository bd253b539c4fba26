-- Assign the next position of an event to each arrival of one event-loop turn, or return a
-- visitor's first one; behind the regression guard when the turn's call carries it.
-- KEYS[1] counters hash (its `era` field: the secret the request ids of this queue are signed
-- with, request-ids.ts), KEYS[2] entry-time changes zset (score position, member
-- "position:entryTime"; written only when the entry second changes), KEYS[3] the pre-queue's
-- arrival-time changes zset (score arrival, member "arrival:entryTime"), KEYS[4] the draw's ranks
-- string, KEYS[5] present positions zset and KEYS[6] last-seen zset (increment-serving.lua; used
-- only when ARGV[8] is '1'), KEYS[7] the reset count string and KEYS[8] the last periodic tick
-- string and KEYS[9] the sessions hash (guard-counters.lua); then two keys per arrival i (1..n):
-- KEYS[8 + 2i] its visitor key's bucket (96-bit digest -> position; any key of the event when
-- there is no visitor key) and KEYS[9 + 2i] the client's rate budget in this event (gcra.lua).
-- ARGV[1] now, ARGV[2] budget per minute ('' = no limit), ARGV[3] the era the caller knows
-- ('' = none), ARGV[4] a fresh era to start the queue with when it has none ('' = ask for one),
-- ARGV[5] the pre-queue's startAt ('' = the event has none), ARGV[6] its draw shuffles ('1'/'0'),
-- ARGV[7] the longest line ('' = none; API.md section 6 `maxQueueLength`), ARGV[8] '1': the event
-- counts present visitors (API.md section 6): a new position is seen now. ARGV[9] '1': the call
-- carries the turn's regression guard for the event, with ARGV[10..16] its known reset count,
-- queue, tick, serving and arrival floors, known era and last session (guard-counters.lua).
-- Then two per arrival i: ARGV[15 + 2i] its visitor field ('' = none), ARGV[16 + 2i] now in ms
-- (for its budget).
-- Returns {guard, era, answer 1, …, answer n}: guard is guardCounters' {reset count, raised}
-- ({} when not carried); era is '' when it is ARGV[3], or 'no_era' when the queue has none and
-- ARGV[4] is empty (then no answers, nothing taken: call again with one). Each answer is
-- {position, entryTime, created (1/0), arrival}, {'rate_limited', seconds} when the budget is
-- spent (nothing taken), or {'queue_full'} when as many wait as the line holds (nothing taken).
-- A pre-queue arrival (API.md section 6) has an arrival number (> 0) and position 0 until its
-- draw is done; its visitor field holds minus its arrival number. An entry of no pre-queue has
-- arrival 0.
-- Every arrival runs this, so a new visitor costs few, cheap commands: no request id is stored
-- (the id carries the position), the visitor key is a small field of a small hash; the arrivals
-- of one turn share one call (and the guard), so its cost is spread over them.
local now, perMinute = ARGV[1], ARGV[2]
local shuffle, longest, presentFlag = ARGV[6], ARGV[7], ARGV[8]
local startAt = ARGV[5]

local guard = {}
if ARGV[9] == '1' then
  guard = guardCounters(KEYS[1], KEYS[7], KEYS[8], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15], KEYS[9], ARGV[16])
end

local era = redis.call('HGET', KEYS[1], 'era')
if not era then
  if ARGV[4] == '' then return {guard, 'no_era'} end
  era = ARGV[4]
  redis.call('HSET', KEYS[1], 'era', era)
end
if era == ARGV[3] then era = '' end

local function arrive(bucket, rates, field, nowMs)
  local state = redis.call('HMGET', KEYS[1], 'lastEntryTime', 'draw', 'lastArrivalTime', 'queue', 'serving', 'pq')
  if field ~= '' then
    local held = redis.call('HGET', bucket, field)
    if held then
      held = tonumber(held)
      if held > 0 then return {held, timeAt(KEYS[2], held), 0, 0} end
      local position = drawnPosition(KEYS[1], KEYS[4], -held)
      if position then return {position, timeAt(KEYS[2], position), 0, -held} end
      return {0, timeAt(KEYS[3], -held), 0, -held}
    end
  end
  -- A full line takes nobody new (checked before the budget, which a refusal does not spend):
  -- those waiting are the pre-queue while it is open, else the positions not served yet.
  local prequeueOpen = startAt ~= '' and not state[2] and tonumber(now) < tonumber(startAt)
  if longest ~= '' then
    local waiting = tonumber(state[4] or '0') - tonumber(state[5] or '0')
    if prequeueOpen then
      waiting = tonumber(state[6] or '0')
    elseif startAt ~= '' and not state[2] then
      waiting = waiting + tonumber(state[6] or '0') -- the pre-queue this arrival closes
    end
    if waiting >= tonumber(longest) then return {'queue_full'} end
  end
  -- A new visitor (a known one never spends budget): in the same atomic step, so a refusal
  -- takes no position.
  if perMinute ~= '' then
    local retryAfter = takeRateToken(rates, tonumber(nowMs), tonumber(perMinute))
    if retryAfter > 0 then return {'rate_limited', retryAfter} end
  end
  local lastEntryTime = state[1]
  if startAt ~= '' and not state[2] then
    if prequeueOpen then
      -- The pre-queue is open: an arrival number, no position (the draw gives it at startAt).
      local arrival = redis.call('HINCRBY', KEYS[1], 'pq', 1)
      if field ~= '' then redis.call('HSET', bucket, field, -arrival) end
      if state[3] ~= now then
        redis.call('ZADD', KEYS[3], arrival, string.format('%d', arrival) .. ':' .. now)
        redis.call('HSET', KEYS[1], 'lastArrivalTime', now)
      end
      return {0, now, 1, arrival}
    end
    -- The first arrival after startAt closes the pre-queue, so its position follows the draw's.
    closePrequeue(KEYS[1], KEYS[2], now, shuffle)
    lastEntryTime = redis.call('HGET', KEYS[1], 'lastEntryTime')
  end
  local position = redis.call('HINCRBY', KEYS[1], 'queue', 1)
  if field ~= '' then redis.call('HSET', bucket, field, position) end
  if presentFlag == '1' then
    redis.call('ZADD', KEYS[5], position, position)
    redis.call('ZADD', KEYS[6], now, position)
  end
  if lastEntryTime ~= now then
    redis.call('ZADD', KEYS[2], position, string.format('%d', position) .. ':' .. now)
    redis.call('HSET', KEYS[1], 'lastEntryTime', now)
  end
  return {position, now, 1, 0}
end

local reply = {guard, era}
for i = 1, (#KEYS - 9) / 2 do
  reply[i + 2] = arrive(KEYS[8 + 2 * i], KEYS[9 + 2 * i], ARGV[15 + 2 * i], ARGV[16 + 2 * i])
end
return reply
