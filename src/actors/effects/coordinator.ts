/**
 * Effects of the update coordinator (src/machines/coordinator.ts): numbering a batch with
 * immer on the tentative database, shipping records, committing. The records live in the
 * replica; the coordinator's context holds the protocol.
 */
import { coordinatorMachine, type ShipParams, type Submission } from '../../machines/coordinator.js';
import { sequenceOps } from '../../db/sequence.js';
import type { Op, UpdateRecord } from '../../db/types.js';
import { GlupError } from '../../errors.js';
import { epochAt } from '../../machines/rules/log.js';
import type { NodeHost } from '../host.js';

/** Records per update message: a long catch-up travels in several. */
const RECORDS_PER_MESSAGE = 256;

export function answerSubmission(host: NodeHost, origin: string, body: { id: string; seq?: number; epoch?: number; error?: { code: string; message: string } }): void {
  if (origin === host.id) host.submitter.onResult(body);
  else host.sendTo(origin, 'submit-result', body);
}

export function provideCoordinator(host: NodeHost) {
  const r = host.replica;

  const sequence = (batch: Submission[], epoch: number) => {
    const records: UpdateRecord[] = [];
    // a failing cas is refused here (CAS_FAILED), before the record takes a seq
    const outcomes = sequenceOps(r.tentativeView, batch.map((sub) => ({ op: sub.op as Op, origin: sub.origin })), r.lastSeq + 1, epoch);
    const now = host.clock.now();
    outcomes.forEach((o, i) => {
      const sub = batch[i]!;
      if ('error' in o) {
        const err = o.error instanceof GlupError ? o.error : new GlupError('INVALID_OP', (o.error as Error).message);
        answerSubmission(host, sub.origin, { id: sub.id, error: { code: err.code, message: err.message } });
        return;
      }
      records.push({ epoch, seq: o.seq, origin: sub.origin, id: sub.id, op: sub.op as Op, patches: o.patches, ts: now });
    });
    // a data record's patches wait in the tentative database; the others are applied as any member applies them
    r.stageBatch(records);
    host.toActor('coordinator', { type: 'SEQUENCED', accepted: records.map((x) => ({ seq: x.seq, epoch: x.epoch, id: x.id })) });
    if (!records.length) return;
    const upTo = records[records.length - 1]!.seq;
    // the manager's own write overlaps the shipping; its ack counts once durable
    r.persist(records).then(
      () => host.toActor('coordinator', { type: 'WRITTEN', upTo }),
      (e) => host.storeFailed('append', e),
    );
  };

  /** Sends records from..to to the targets; a target that needs what the log no longer holds gets the snapshot first. */
  const ship = (p: ShipParams) => {
    if (!p.targets.length) return;
    let from = p.from;
    if (from < r.firstHeldSeq) {
      const snapshot = r.committedSnapshot();
      for (const t of p.targets) host.sendTo(t, 'join-accept', { snapshot, commitSeq: r.committedSeq });
      from = snapshot.seq + 1;
    }
    const to = Math.min(p.to, r.lastSeq);
    for (let lo = from; lo <= to; lo += RECORDS_PER_MESSAGE) {
      const hi = Math.min(to, lo + RECORDS_PER_MESSAGE - 1);
      const body = { prev: { seq: lo - 1, epoch: epochAt(r.index, lo - 1) ?? 0 }, records: r.range(lo, hi), commitSeq: r.committedSeq };
      if (p.all && host.settings.glup === 'multicast') host.publish('update', 'update', body);
      else for (const t of p.targets) host.sendTo(t, 'update', body);
    }
  };

  return coordinatorMachine.provide({
    actions: {
      sequence: (_, p) => sequence(p.batch, p.epoch),
      ship: (_, p) => ship(p),
      resend: (_, p) => {
        for (const t of p.targets) ship({ from: t.from, to: p.to, targets: [t.id], all: false });
      },
      commit: (_, p) => {
        const records = r.commitTo(p.upTo);
        const notice = { commitSeq: r.committedSeq };
        if (host.settings.glup === 'multicast') host.publish('update', 'commit', notice);
        else for (const m of p.to) host.sendTo(m, 'commit', notice);
        host.committed(records, true);
      },
      answerCommitted: (_, p) => answerSubmission(host, p.origin, { id: p.id, seq: p.seq, epoch: r.recordAt(p.seq)?.epoch ?? r.committedShape.meta.epoch }),
      refuseSubmission: (_, p) => {
        host.counters.refusedSubmissions++;
        host.logger.warn('refused a membership change', { from: p.origin, id: p.id, reason: p.reason });
        answerSubmission(host, p.origin, { id: p.id, error: { code: 'INVALID_OP', message: p.reason ?? 'refused' } });
      },
      tellNotMember: (_, p) => {
        const db = r.tentativeShape;
        host.sendTo(p.to, 'announce', { manager: host.id, backup: db.meta.backup, commitSeq: r.committedSeq, membershipSeq: r.committedChangeSeq, member: false });
      },
    },
  });
}
