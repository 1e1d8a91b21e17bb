/**
 * The body schema of every protocol message type (SPEC section 8): a body that does not
 * match its type's schema is dropped and counted like any invalid message, before any actor
 * sees it. Every seq, epoch and term must be a non-negative safe integer and every node id a
 * valid id, so no arithmetic on a field can overflow or mislead. Fields a node does not know
 * are dropped (a newer minor version can run beside an older one).
 */
import { z } from 'zod';
import { NAME } from '../ids.js';
import type { MessageType } from './messageTypes.js';

const count = z.number().int().nonnegative();
const nodeId = z.string().regex(NAME, 'not a node id');
const submissionId = z.string().min(1).max(256);
/** A hosted actor's key: any non-empty string up to 256 characters (a path segment under data, src/actors/hosted/records.ts). */
const actorKey = z.string().min(1).max(256);
const channelId = z.string().min(3).max(200);

export const positionSchema = z.object({ lastSeq: count, lastEpoch: count, commitSeq: count });
export const nodeFactsSchema = z.object({ id: nodeId, qualified: z.boolean(), priority: z.number().int().min(-1e9).max(1e9), incarnation: count });

const patchSchema = z.object({
  op: z.enum(['add', 'remove', 'replace']),
  path: z.array(z.union([z.string(), z.number().int().nonnegative()])),
  value: z.unknown().optional(),
});

export const recordSchema = z.object({
  epoch: count,
  seq: count.min(1),
  origin: nodeId,
  id: submissionId,
  op: z.record(z.string(), z.unknown()),
  patches: z.array(patchSchema),
  ts: z.number(),
});

const snapshotSchema = z.object({
  seq: count,
  epoch: count,
  db: z.object({
    meta: z.record(z.string(), z.unknown()),
    nodes: z.record(z.string(), z.unknown()),
    groups: z.record(z.string(), z.unknown()),
    data: z.record(z.string(), z.unknown()),
  }),
  submissions: z.array(submissionId).optional(),
});

const records = z.array(recordSchema).refine((rs) => rs.every((r, i) => i === 0 || r.seq === rs[i - 1]!.seq + 1), 'records are not contiguous');

export const bodySchemas = {
  hello: z.object({ node: nodeFactsSchema, position: positionSchema }),
  announce: z.object({ manager: nodeId, backup: nodeId.nullable(), commitSeq: count, membershipSeq: count, member: z.boolean() }),
  heartbeat: z.object({ role: z.enum(['manager', 'backup']), commitSeq: count, lastSeq: count, membershipSeq: count }),
  'heartbeat-ack': z.object({ commitSeq: count }),
  candidacy: z.object({ prevote: z.boolean(), term: count, node: nodeFactsSchema, position: positionSchema }),
  vote: z.object({ prevote: z.boolean(), term: count, granted: z.boolean(), position: positionSchema }),
  'join-request': z.object({ node: nodeFactsSchema, position: positionSchema, lastId: z.string().max(256) }),
  'join-accept': z.object({ snapshot: snapshotSchema, commitSeq: count }),
  submit: z.object({ id: submissionId, op: z.unknown() }),
  'submit-result': z.object({
    id: submissionId,
    seq: count.optional(),
    epoch: count.optional(),
    error: z.object({ code: z.string().max(64), message: z.string().max(4096) }).optional(),
  }),
  update: z.object({ prev: z.object({ seq: count, epoch: count }), records, commitSeq: count }),
  'update-ack': z.object({ ok: z.boolean(), match: count, hint: count }),
  commit: z.object({ commitSeq: count }),
  fetch: z.object({ from: count, to: count }),
  'fetch-reply': z.object({ records, commitSeq: count, snapshot: snapshotSchema.optional() }),
  'confirm-request': z.object({ phase: z.enum(['ask', 'promise']), term: count, position: positionSchema }),
  'confirm-reply': z.object({ phase: z.enum(['ask', 'promise']), term: count, lost: z.boolean().optional(), granted: z.boolean().optional(), position: positionSchema.optional() }),
  handover: z.object({ to: nodeId, epoch: count, leaving: z.boolean() }),
  leave: z.object({}),
  'group-message': z.object({ group: nodeId, msg: z.unknown(), to: z.string().max(130).optional(), sender: z.string().max(130) }),
  'actor-event': z.object({
    type: nodeId,
    key: actorKey,
    /** The sender's stream: `<sender node>:<session>`; events are numbered 1, 2, … within it. */
    channel: channelId,
    n: count.min(1),
    /** The sender's oldest event still waiting: anything below it was answered or given up. */
    first: count.min(1),
    ask: z.boolean(),
    event: z.looseObject({ type: z.string().min(1).max(256) }),
  }),
  'actor-reply': z.object({
    type: nodeId,
    key: actorKey,
    channel: channelId,
    n: count.min(1),
    /** done: processed and persisted; moved: this node does not host the actor (the sender re-routes); error: refused for good. */
    outcome: z.enum(['done', 'moved', 'error']),
    version: count.optional(),
    state: z.object({ value: z.unknown(), context: z.unknown(), status: z.enum(['active', 'done', 'error', 'stopped']) }).optional(),
    error: z.object({ code: z.string().max(64), message: z.string().max(4096) }).optional(),
  }),
} satisfies Partial<Record<MessageType, z.ZodType>>;

export type ProtocolType = keyof typeof bodySchemas;
export type Body<T extends ProtocolType> = z.infer<(typeof bodySchemas)[T]>;

export type BodyCheck = { ok: true; body: unknown } | { ok: false; reason: string };

/** Checks a body against its type's schema; types without one (admin, status, chunk) pass as they are. */
export function checkBody(type: MessageType, body: unknown): BodyCheck {
  const schema = (bodySchemas as Partial<Record<MessageType, z.ZodType>>)[type];
  if (!schema) return { ok: true, body };
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, body: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, reason: `${type} body field ${issue.path.join('.') || '(root)'}: ${issue.message}` };
}
