-- One slice of a shuffled draw's order (types.ts `writeDrawSlice`).
-- KEYS[1] counters hash, KEYS[2] ranks string (32-bit big-endian drawn rank of each arrival,
-- by arrival number), KEYS[3] drawn-order string (32-bit big-endian arrival number at each
-- rank, by rank). ARGV[1] now, ARGV[2] written so far as the caller read it, ARGV[3] the ranks
-- of arrivals written + 1 … on, ARGV[4] the arrivals at ranks written + 1 … on (same length).
-- Returns the new number written, or false (nothing changed) when the draw is not 'drawing',
-- another process wrote since (written differs) or the slice runs past the participants.
-- Two SETRANGEs of a few kilobytes: the caller keeps slices small, so Redis is never held long.
local draw = redis.call('HMGET', KEYS[1], 'draw', 'drawN', 'drawWritten')
local written = tonumber(draw[3] or '-1')
local count = #ARGV[3] / 4
if draw[1] ~= 'drawing' or written ~= tonumber(ARGV[2]) or #ARGV[4] ~= #ARGV[3]
  or count ~= math.floor(count) or written + count > tonumber(draw[2]) then
  return false
end
redis.call('SETRANGE', KEYS[2], written * 4, ARGV[3])
redis.call('SETRANGE', KEYS[3], written * 4, ARGV[4])
written = written + count
redis.call('HSET', KEYS[1], 'drawWritten', string.format('%d', written))
if written == tonumber(draw[2]) then
  redis.call('HSET', KEYS[1], 'draw', 'drawn', 'drawnAt', ARGV[1])
end
return written
