import { z } from 'zod';
import { NAME } from '../ids.js';
import { ENVELOPE_VERSION, isMessageType, type MessageType } from './messageTypes.js';

/**
 * The wire format (SPEC section 8): one JSON envelope per message.
 *
 * Everything that arrives is untrusted. decodeEnvelope checks the byte size and the
 * nesting depth with a flat scan of the raw text BEFORE any recursive work (JSON.parse,
 * schema), so an oversized or deeply nested message costs one linear pass and cannot
 * exhaust the stack; it refuses the keys `__proto__`, `constructor` and `prototype`
 * anywhere, so no later merge or spread can pollute a prototype. Unknown extra fields are
 * ignored (dropped from the result), so a newer minor version can run beside an older one.
 */
export interface Envelope<Body = unknown> {
  v: typeof ENVELOPE_VERSION;
  cluster: string;
  type: MessageType;
  /** Sender's node id (CLI tools use ids like `cli-<something>`, which fit the same rule). */
  from: string;
  /** Sender's epoch, for fencing. */
  epoch: number;
  /** `<node>-<counter>`: unique per sender run, deterministic in simulation. */
  id: string;
  /** Sender's clock (virtual ms in simulation). */
  ts: number;
  body: Body;
}

export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };

export const MAX_ENVELOPE_BYTES = 1024 * 1024;
/** The envelope object itself is depth 1. */
export const MAX_ENVELOPE_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const envelopeSchema = z.object({
  v: z.number().int(),
  cluster: z.string(),
  type: z.string(),
  from: z.string().regex(NAME, 'not a node id'),
  epoch: z.number().int().nonnegative(),
  id: z.string().min(1).max(256),
  ts: z.number(),
  body: z.unknown(),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** `maxBytes` (default MAX_ENVELOPE_BYTES) is raised only for a message reassembled from chunks. */
export function decodeEnvelope(data: Uint8Array, expected: { cluster: string; maxBytes?: number }): DecodeResult {
  const maxBytes = expected.maxBytes ?? MAX_ENVELOPE_BYTES;
  if (data.byteLength > maxBytes) {
    return invalid(`oversized: ${data.byteLength} bytes, limit ${maxBytes}`);
  }
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return invalid('bad UTF-8');
  }
  if (nestingDepth(text) > MAX_ENVELOPE_DEPTH) return invalid(`too deep: nesting over ${MAX_ENVELOPE_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('bad JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('not an object');
  // Only a key spelled out or written with \u escapes can be forbidden: skip the walk otherwise.
  if (/__proto__|constructor|prototype|\\u/.test(text)) {
    const key = findForbiddenKey(parsed);
    if (key !== undefined) return invalid(`forbidden key "${key}"`);
  }
  if (!('body' in parsed)) return invalid('field body: missing');
  const checked = envelopeSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    return invalid(`field ${issue.path.join('.') || '?'}: ${issue.message}`);
  }
  const env = checked.data;
  if (env.v !== ENVELOPE_VERSION) return invalid(`wrong major version ${env.v}, expected ${ENVELOPE_VERSION}`);
  if (env.cluster !== expected.cluster) return invalid('wrong cluster');
  if (!isMessageType(env.type)) return invalid('unknown type');
  return { ok: true, envelope: env as Envelope };
}

function invalid(reason: string): DecodeResult {
  return { ok: false, reason };
}

/**
 * Deepest bracket nesting of a JSON text, counting only brackets outside strings. Linear
 * and flat: safe to run on any input before parsing it. Stops early past the limit.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > MAX_ENVELOPE_DEPTH) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

/** Iterative walk (depth is already bounded, but no recursion is needed either). */
function findForbiddenKey(root: object): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}
