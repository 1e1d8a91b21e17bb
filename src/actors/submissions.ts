/**
 * What reaches the manager from other nodes and is not a protocol event of its own: a
 * submission (validated as an op, then a SUBMIT for the coordinator), a join request (with
 * whether the joiner's last record matches this log), and a different record at a committed
 * seq (SPEC 3).
 */
import type { Body } from '../bus/bodies.js';
import type { Op } from '../db/types.js';
import { validateOp, validateSystemOp } from '../db/validate.js';
import type { GlupError } from '../errors.js';
import { answerSubmission } from './effects/coordinator.js';
import type { NodeRuntime } from './runtime.js';

export function takeSubmission(node: NodeRuntime, origin: string, b: Body<'submit'>): void {
  if (!node.actor('coordinator')) return;
  let op: Op;
  try {
    const system = b.op !== null && typeof b.op === 'object' && ['membership', 'groupJoin', 'groupLeave', 'groupMessage'].some((k) => k in (b.op as object));
    const limits = { maxUpdateBytes: node.settings.maxUpdateBytes };
    op = system ? validateSystemOp(b.op, limits) : validateOp(b.op, limits);
  } catch (e) {
    const err = e as GlupError;
    answerSubmission(node, origin, { id: b.id, error: { code: err.code ?? 'INVALID_OP', message: err.message } });
    return;
  }
  node.toActor('coordinator', { type: 'SUBMIT', submission: { id: b.id, origin, op }, knownSeq: node.replica.submissions.get(b.id) ?? null });
}

export function takeJoinRequest(node: NodeRuntime, from: string, b: Body<'join-request'>): void {
  const mine = b.position.lastSeq > 0 ? node.replica.recordAt(b.position.lastSeq) : undefined;
  const atSnapshot = b.lastId === '' && b.position.lastSeq <= node.replica.committedSeq;
  const lastMatches = b.position.lastSeq === 0 || atSnapshot || (mine !== undefined && mine.epoch === b.position.lastEpoch && mine.id === b.lastId);
  node.toActor('coordinator', { type: 'JOIN_REQUEST', from, node: b.node, position: b.position, lastMatches });
}

/** A different record at a committed seq: under majority a breach, under quorum none a rejoin (SPEC 3). */
export function answerConflict(node: NodeRuntime, from: string, seq: number): void {
  if (node.settings.quorum === 'majority') {
    node.logger.error('refused a different record at a committed seq', { seq, from });
    return;
  }
  node.sendTo(from, 'fetch', { from: 0, to: 0 });
}
