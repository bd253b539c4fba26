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
-- KEYS[4] is the including script's own key (any key of the event when there is none);
-- KEYS[5] present positions zset (score = member = position: waiting ones seen, and those the
-- inlet let in), KEYS[6] last-seen zset (member position, score epoch second), KEYS[7]
-- returned positions zset (passed while absent, back since; score = member = position).
-- ARGV[7] (optional) absent-before epoch second: absent visitors (API.md section 6) are on, and
-- an increase admits `by` present visitors (plus the counters' `credit`, what expiry owes):
-- first the returned ones, then the present positions above the counter in order, passing
-- absent ones (forgotten as they are met); with no present position left, up to the queue
-- counter. ARGV[8] the most positions looked at (rule 6: not growing with the absent). The
-- first such advance records the counter it started from (`presenceFrom`): positions up to it
-- were let in by reaching them, before the event counted presence.
-- Returns {serving counter before, serving counter after, visitors admitted (presence only)}.
-- Numbers are turned into text with '%d': Lua's own conversion keeps 14 digits only.
local by, now, max = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
local nextValue = current + by
local admitted = 0
if ARGV[7] and ARGV[7] ~= '' and by > 0 then
  local absentBefore, work = tonumber(ARGV[7]), tonumber(ARGV[8])
  local state = redis.call('HMGET', KEYS[1], 'queue', 'maxExpiredPosition', 'credit', 'presenceFrom')
  -- Positions reached before the first presence advance were let in as the counter reached them.
  if not state[4] then redis.call('HSET', KEYS[1], 'presenceFrom', string.format('%d', current)) end
  local queue, maxExpired = tonumber(state[1] or '0'), tonumber(state[2] or '0')
  local budget = by + tonumber(state[3] or '0')
  if state[3] then redis.call('HDEL', KEYS[1], 'credit') end
  local looked, readmitted = 0, 0
  while budget > 0 and looked < work do
    local back = redis.call('ZRANGE', KEYS[7], 0, math.min(budget, work - looked) - 1)
    if #back == 0 then break end
    for _, member in ipairs(back) do
      looked = looked + 1
      redis.call('ZREM', KEYS[7], member)
      if tonumber(member) > maxExpired then
        redis.call('ZADD', KEYS[5], member, member)
        budget = budget - 1
        readmitted = readmitted + 1
      end
    end
  end
  if readmitted > 0 then redis.call('HINCRBY', KEYS[1], 'readmitted', readmitted) end
  admitted = readmitted
  local cursor = current
  -- A pre-queue's participants could not be seen before the draw gave them positions: for one
  -- window after the draw, those not seen since count as seen at the draw (all of them are, as
  -- no record can be older), so the walk lets them in in order, recording each as let in.
  local draw = redis.call('HMGET', KEYS[1], 'draw', 'drawBase', 'drawN', 'drawnAt')
  if draw[1] == 'drawn' and tonumber(draw[4]) >= absentBefore then
    local drawEnd = tonumber(draw[2]) + tonumber(draw[3])
    while budget > 0 and looked < work and cursor < drawEnd do
      cursor = cursor + 1
      looked = looked + 1
      local member = string.format('%d', cursor)
      redis.call('ZADD', KEYS[5], member, member)
      budget = budget - 1
      admitted = admitted + 1
    end
  end
  while budget > 0 and looked < work do
    local batch = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. string.format('%d', cursor), '+inf', 'LIMIT', 0,
      math.min(budget, work - looked, 512))
    if #batch == 0 then
      cursor = math.max(cursor, queue)
      break
    end
    -- One read of the batch's last-seen times, one removal of its absent ones (Redis 6.2+).
    local seen = redis.call('ZMSCORE', KEYS[6], unpack(batch))
    local gone = {}
    for i, member in ipairs(batch) do
      looked = looked + 1
      cursor = tonumber(member)
      if seen[i] and tonumber(seen[i]) >= absentBefore then
        budget = budget - 1
        admitted = admitted + 1
        if budget == 0 then break end
      else
        gone[#gone + 1] = member
      end
    end
    if #gone > 0 then
      redis.call('ZREM', KEYS[5], unpack(gone))
      redis.call('ZREM', KEYS[6], unpack(gone))
    end
  end
  nextValue = math.max(cursor, current)
elseif ARGV[5] == 'queue' and by > 0 then
  local queue = tonumber(redis.call('HGET', KEYS[1], 'queue') or '0')
  nextValue = math.min(nextValue, math.max(current, queue))
end
if nextValue < 0 then nextValue = 0 end
if nextValue > max then nextValue = max end
if nextValue == current then return {current, current, admitted} end

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
return {current, nextValue, admitted}
