/**
 * The Lua scripts behind `RedisQueue`. Each step that must not be half-done when a worker dies
 * (admit a keyed item, finish an item with its follow-ups and its result, dead-letter an entry,
 * reclaim abandoned entries) is one script, so Redis runs it atomically.
 *
 * Trade-off: scripts are sent by SHA-1 and re-sent in full on `NOSCRIPT` (after a Redis restart
 * the script cache is empty), rather than registered with ioredis's `defineCommand`, so a client
 * the caller passed in is never modified.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A Lua script and its SHA-1. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Admits one item: with a key, only if the key was never seen (and the seen-set is under its
 * budget). Returns 1 when added, 0 for a duplicate key, -1 when over the budget.
 * KEYS: stream, seen. ARGV: payload, key ('' for none), maxKeys (-1 for none).
 */
export const PUT = script(`
local key = ARGV[2]
if key ~= '' then
  if redis.call('SISMEMBER', KEYS[2], key) == 1 then return 0 end
  local max = tonumber(ARGV[3])
  if max >= 0 and redis.call('SCARD', KEYS[2]) >= max then return -1 end
  redis.call('SADD', KEYS[2], key)
end
redis.call('XADD', KEYS[1], '*', 'v', ARGV[1])
return 1
`);

/**
 * Finishes a batch of delivered entries, each once, in order: acknowledges each and, only if
 * this call is the first to do so, admits its follow-up items (as PUT does), appends its result
 * and deletes the entry. One call finishes the `taskDone`s of many green threads: one round
 * trip and one script run instead of one each.
 * Returns, per entry, { first (1/0), added, duplicates, overBudget, seen-set size, stream
 * length } (the sizes as they are right after that entry).
 * KEYS: stream, seen, results. ARGV: group, then per entry: id, maxKeys (-1 for none),
 * hasResult ('1'/'0'), result, n, then n (key, payload) pairs.
 */
export const DONE = script(`
local replies = {}
local i = 2
while i <= #ARGV do
  local id, max, hasResult, result, n = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local links = i + 5
  i = links + 2 * n
  local first, added, duplicates, over = 0, 0, 0, 0
  if redis.call('XACK', KEYS[1], ARGV[1], id) == 1 then
    first = 1
    for j = links, i - 1, 2 do
      local key = ARGV[j]
      local admit = true
      if key ~= '' then
        if redis.call('SISMEMBER', KEYS[2], key) == 1 then
          duplicates = duplicates + 1
          admit = false
        elseif max >= 0 and redis.call('SCARD', KEYS[2]) >= max then
          over = over + 1
          admit = false
        else
          redis.call('SADD', KEYS[2], key)
        end
      end
      if admit then
        redis.call('XADD', KEYS[1], '*', 'v', ARGV[j + 1])
        added = added + 1
      end
    end
    if hasResult == '1' then redis.call('XADD', KEYS[3], '*', 'v', result) end
    redis.call('XDEL', KEYS[1], id)
  end
  replies[#replies + 1] = {first, added, duplicates, over, redis.call('SCARD', KEYS[2]), redis.call('XLEN', KEYS[1])}
end
return replies
`);

/**
 * Moves one delivered entry to the dead-letter stream, with the reason, unless it was already
 * finished. Returns 1 when moved, 0 otherwise.
 * KEYS: stream, dead. ARGV: group, id, reason, detail.
 */
export const DEAD = script(`
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local fields = {'id', ARGV[2], 'reason', ARGV[3], 'detail', ARGV[4]}
if entry[1] then
  local raw = entry[1][2]
  for i = 1, #raw, 2 do
    table.insert(fields, 'field:' .. raw[i])
    table.insert(fields, raw[i + 1])
  end
end
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`);

/**
 * Claims entries another consumer has held longer than the visibility timeout, and
 * dead-letters those delivered more than maxDeliveries times. Returns the claimed entries
 * that are still to be processed, as XRANGE does.
 * KEYS: stream, dead. ARGV: group, consumer, minIdle, count, maxDeliveries.
 */
export const RECLAIM = script(`
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
local keep = {}
local max = tonumber(ARGV[5])
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local info = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  local deliveries = info[1] and tonumber(info[1][4]) or 0
  if deliveries > max then
    local fields = {'id', id, 'reason', 'max-deliveries', 'detail', 'delivered ' .. deliveries .. ' times'}
    local raw = entry[2]
    if raw then
      for i = 1, #raw, 2 do
        table.insert(fields, 'field:' .. raw[i])
        table.insert(fields, raw[i + 1])
      end
    end
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  else
    table.insert(keep, entry)
  end
end
return keep
`);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/** Runs `s` by SHA-1, sending its source once when Redis does not know it (yet, or any more). */
export async function runScript(
  client: Redis,
  s: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return await client.eval(s.source, keys.length, ...keys, ...args);
  }
}
