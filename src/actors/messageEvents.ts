/**
 * Protocol messages as inspection events (`type: 'message'`): what the bus's `tap` saw,
 * reduced to the fields that tell the protocol story, so a trace shows who sent what to
 * whom and `glup replay` can check every message. Payloads stay out: no update records,
 * snapshots, operations' values or application messages, only their seqs and kinds.
 */
import type { Envelope } from '../bus/envelope.js';
import { subjects } from '../bus/transport.js';
import type { MessageInspectionEvent } from './types.js';

/** Body fields copied as they are when they hold a number, a boolean or a short string. */
const SCALAR_FIELDS = [
  'seq',
  'commitSeq',
  'committedSeq',
  'lastSeq',
  'lastEpoch',
  'term',
  'epoch',
  'upTo',
  'granted',
  'lost',
  'quorate',
  'ok',
  'role',
  'manager',
  'backup',
  'for',
  'reason',
  'action',
  'code',
  'group',
  'view',
  'to',
  'prevote',
  'phase',
  'match',
  'hint',
  'member',
  'membershipSeq',
  'leaving',
] as const;

/** Longest seq list kept whole; a longer one is summarized as first, last and count. */
const MAX_SEQS = 16;
const MAX_STRING = 64;

export function messageEvent(
  node: string,
  dir: 'send' | 'receive',
  env: Envelope,
  subject: string,
  cluster: string,
  t: number,
): MessageInspectionEvent {
  return {
    node,
    actor: 'bus',
    type: 'message',
    dir,
    msgType: env.type,
    from: env.from,
    to: addressee(cluster, subject),
    subject,
    epoch: env.epoch,
    summary: summarize(env.body),
    t,
  };
}

/** The node a subject addresses (`subjects.node`), or null for a subject many nodes read. */
export function addressee(cluster: string, subject: string): string | null {
  // Read the position of the node id from the subject helper itself, so a change of the
  // subject layout (more tokens after the id) does not change the answer.
  const pattern = subjects.node(cluster, '\u0000', '\u0001').split('.');
  const at = pattern.indexOf('\u0000');
  const tokens = subject.split('.');
  if (at < 0 || tokens.length < pattern.length) return null;
  for (let i = 0; i < at; i++) if (tokens[i] !== pattern[i]) return null;
  return tokens[at] ?? null;
}

/** The summary of a message body: a small plain object, never the payload itself. */
export function summarize(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of SCALAR_FIELDS) {
    const v = b[key];
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_STRING)) out[key] = v;
  }
  if (typeof b.from === 'number' && typeof b.to === 'number') {
    // a fetch range: named so it cannot be read as sender and addressee
    out.fromSeq = b.from;
    out.toSeq = b.to;
    delete out.to;
  }
  if (Array.isArray(b.records)) Object.assign(out, seqList('seqs', b.records.map((r) => (r as { seq?: unknown })?.seq)));
  if (Array.isArray(b.acks)) Object.assign(out, seqList('acks', b.acks.map((a) => (a as { seq?: unknown })?.seq)));
  if (Array.isArray(b.members)) out.members = b.members.length;
  const prev = b.prev as { seq?: unknown } | undefined;
  if (typeof prev?.seq === 'number') out.prevSeq = prev.seq;
  const about = b.node as { id?: unknown } | undefined;
  if (typeof about?.id === 'string') out.node = about.id;
  const position = b.position as { lastSeq?: unknown; lastEpoch?: unknown } | undefined;
  if (typeof position?.lastSeq === 'number') out.lastSeq = position.lastSeq;
  if (typeof position?.lastEpoch === 'number') out.lastEpoch = position.lastEpoch;
  const snapshot = b.snapshot as { seq?: unknown } | undefined;
  if (typeof snapshot?.seq === 'number') out.snapshotSeq = snapshot.seq;
  const op = b.op;
  if (typeof op === 'object' && op !== null) out.op = Object.keys(op)[0];
  const error = b.error as { code?: unknown } | undefined;
  if (typeof error?.code === 'string') out.code = error.code;
  if (typeof b.id === 'string' && b.id.length <= MAX_STRING && ('op' in b || 'error' in b || 'seq' in b)) out.id = b.id;
  return out;
}

function seqList(name: string, values: unknown[]): Record<string, unknown> {
  const seqs = values.filter((v): v is number => typeof v === 'number');
  if (seqs.length <= MAX_SEQS) return { [name]: seqs };
  return { [name]: { first: seqs[0], last: seqs[seqs.length - 1], count: seqs.length } };
}
