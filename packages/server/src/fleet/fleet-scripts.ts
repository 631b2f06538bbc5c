/**
 * The fleet's Lua scripts. Each touches the keys of one prediction only (one
 * hash tag), and each decides atomically: an append is fenced by the owner
 * recorded when the job was claimed, so a worker that lost its job (paused,
 * cut off, reclaimed by another) appends nothing more.
 *
 * KEYS of every script: meta hash, events stream, notify channel.
 */
import { luaScript } from "./redis-connection.js";

const TERMINAL = `local function terminal(s) return s == 'succeeded' or s == 'failed' or s == 'canceled' end`;
/** Ends the prediction from inside a script: status, a done entry, the finished expiry, a notification. */
const FINISH = `local function finish(result, status, now, ttl)
  redis.call('HSET', KEYS[1], 'status', status, 'owner', '')
  local id = redis.call('XADD', KEYS[2], '*', 't', 'done', 'ms', now, 'd', result)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PUBLISH', KEYS[3], id)
end`;

/** ARGV: job JSON, created ms, ttl ms. Returns 1 when created, 0 when the id is taken. */
export const CREATE_SCRIPT = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'job', ARGV[1], 'created', ARGV[2], 'status', 'starting', 'deliveries', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

/**
 * A worker takes a delivered job. ARGV: owner, max deliveries, restart lost
 * (1/0), now ms, active ttl, finished ttl, lost result JSON, dead result JSON,
 * restart marker JSON. Returns run | gone | done | canceled | dead | lost.
 */
export const CLAIM_SCRIPT = luaScript(`
${TERMINAL}
${FINISH}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if terminal(redis.call('HGET', KEYS[1], 'status')) then return 'done' end
if redis.call('HGET', KEYS[1], 'cancel') == '1' then
  finish('{"status":"canceled"}', 'canceled', ARGV[4], ARGV[6])
  return 'canceled'
end
local n = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
if n > tonumber(ARGV[2]) then
  finish(ARGV[8], 'failed', ARGV[4], ARGV[6])
  return 'dead'
end
local previous = redis.call('HGET', KEYS[1], 'owner')
if previous and previous ~= '' and redis.call('HGET', KEYS[1], 'out') == '1' then
  if ARGV[3] ~= '1' then
    finish(ARGV[7], 'failed', ARGV[4], ARGV[6])
    return 'lost'
  end
  local id = redis.call('XADD', KEYS[2], '*', 't', 'mark', 'ms', ARGV[4], 'd', ARGV[9])
  redis.call('HSET', KEYS[1], 'out', '0')
  redis.call('PUBLISH', KEYS[3], id)
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 'run'
`);

/**
 * A worker appends an entry, only while it owns the prediction. ARGV: owner,
 * type (start | ev | done), worker's ms, data JSON, ttl ms, final status (for
 * done, else ''), the owner's sequence number of this entry. Returns the entry
 * id, 'dup' when this owner's entry was already appended (a retry whose first
 * reply was lost while Redis went away), or false when fenced off.
 */
export const APPEND_SCRIPT = luaScript(`
${TERMINAL}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return false end
if terminal(redis.call('HGET', KEYS[1], 'status')) then return false end
local seqkey = 'seq:' .. ARGV[1]
if tonumber(ARGV[7]) <= tonumber(redis.call('HGET', KEYS[1], seqkey) or '0') then return 'dup' end
if ARGV[2] == 'start' then redis.call('HSET', KEYS[1], 'status', 'processing') end
if ARGV[2] == 'ev' then redis.call('HSET', KEYS[1], 'out', '1') end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[6], 'owner', '') end
local id = redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'ms', ARGV[3], 'd', ARGV[4])
redis.call('HSET', KEYS[1], seqkey, ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', KEYS[3], id)
return id
`);

/**
 * Cancel from any replica. ARGV: now ms, finished ttl. A waiting prediction
 * ends here (canceled); a running one gets its cancel flag (its worker is
 * told on the cancel channel). Returns gone | canceled | running | the
 * terminal status it already had.
 */
export const CANCEL_SCRIPT = luaScript(`
${TERMINAL}
${FINISH}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local status = redis.call('HGET', KEYS[1], 'status')
if terminal(status) then return status end
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner or owner == '' then
  finish('{"status":"canceled"}', 'canceled', ARGV[1], ARGV[2])
  return 'canceled'
end
redis.call('HSET', KEYS[1], 'cancel', '1')
return 'running'
`);
