-- Absent visitors (API.md section 6): positions seen now (a status request, an open stream,
-- queue_num, generate_token), many in one call. A waiting position (above the serving counter)
-- is present from now on. A reached one the inlet did not let in (passed while its visitor was
-- absent) is back: the next presence advance admits it ahead of the line (increment-serving.lua),
-- unless it expired (behind the expiry boundary, or reached longer than the expiry ago) or its
-- token was issued. Positions not handed out are ignored.
-- KEYS[1] counters hash, KEYS[2] present positions zset, KEYS[3] last-seen zset, KEYS[4]
-- returned positions zset, KEYS[5] all sessions zset by position, KEYS[6] history zset,
-- KEYS[7] history rows hash, KEYS[8] entry-time changes zset.
-- ARGV[1] now, ARGV[2] expiry seconds ('' = off), ARGV[3…] the positions.
-- Returns the number of positions recorded.
local now = ARGV[1]
local counters = redis.call('HMGET', KEYS[1], 'queue', 'serving', 'maxExpiredPosition', 'presenceFrom')
-- Before the first presence advance (or up to where it started) a reached position was let in.
local presenceFrom = tonumber(counters[4] or counters[2] or '0')
local queue, serving = tonumber(counters[1] or '0'), tonumber(counters[2] or '0')
local maxExpired = tonumber(counters[3] or '0')
local recorded = 0
for i = 3, #ARGV do
  local position = tonumber(ARGV[i])
  local member = string.format('%d', position)
  if position >= 1 and position <= queue then
    if position > serving then
      redis.call('ZADD', KEYS[2], member, member)
      redis.call('ZADD', KEYS[3], now, member)
      recorded = recorded + 1
    elseif position > maxExpired and position > presenceFrom and not redis.call('ZSCORE', KEYS[2], member)
      and redis.call('ZCOUNT', KEYS[5], member, member) == 0 then
      local fresh = true
      if ARGV[2] ~= '' then
        local change = redis.call('ZREVRANGEBYSCORE', KEYS[8], member, '-inf', 'LIMIT', 0, 1)[1]
        local reference = change and tonumber(string.match(change, ':(%-?%d+)$')) or 0
        local covering = redis.call('ZRANGEBYSCORE', KEYS[6], member, '+inf', 'LIMIT', 0, 1)[1]
        if covering then
          local reached = tonumber(string.match(redis.call('HGET', KEYS[7], covering), '^(%-?%d+):'))
          if reached > reference then reference = reached end
        end
        fresh = tonumber(now) - reference <= tonumber(ARGV[2])
      end
      if fresh then
        redis.call('ZADD', KEYS[4], member, member)
        redis.call('ZADD', KEYS[3], now, member)
        recorded = recorded + 1
      end
    end
  end
end
return recorded
