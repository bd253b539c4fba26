-- Take a named lease (SET NX PX) or renew it when ARGV[1] already holds it.
-- KEYS[1] lease key. ARGV[1] owner, ARGV[2] ttl in ms. Returns 1 when the owner holds it.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
