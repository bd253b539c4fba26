-- Claim tick number ARGV[1]: 1 only for the first caller and only above the last claim.
-- KEYS[1] last claimed tick.
local last = redis.call('GET', KEYS[1])
if last and tonumber(ARGV[1]) <= tonumber(last) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
