/** Effects of the node actor (src/machines/node.ts): hello, answers to ballots, promises, handover, leave. */
import type { NodeHost } from '../host.js';
import type { PromiseParams } from '../../machines/nodeInputs.js';
import type { BallotActor } from '../../machines/nodeTypes.js';

type Params<T> = (_: unknown, params: T) => void;

export interface NodeActions {
  sendHello: () => void;
  answerBallot: Params<{ to: string; term: number; prevote: boolean; granted: boolean }>;
  answerAsk: Params<{ to: string; term: number; lost: boolean }>;
  promise: Params<PromiseParams>;
  refuseStand: Params<{ ballot: BallotActor; term: number }>;
  refusePromise: Params<{ to: string; term: number }>;
  sendHandover: Params<{ to: string; epoch: number; leaving: boolean }>;
  submitLeave: () => void;
  announce: Params<{ to: string }>;
  stopRuntime: () => void;
  tellLiveness: Params<{ members: string[]; manager: string | null; backup: string | null }>;
}

export function nodeActions(host: NodeHost, stop: () => void): NodeActions {
  return {
    sendHello: () => host.publish('discovery', 'hello', { node: host.facts(), position: host.position() }),
    answerBallot: (_, p) => host.sendTo(p.to, 'vote', { prevote: p.prevote, term: p.term, granted: p.granted, position: host.position() }),
    answerAsk: (_, p) => host.sendTo(p.to, 'confirm-reply', { phase: 'ask', term: p.term, lost: p.lost, position: host.position() }),
    // the promise is durable before anyone counts it: a restart cannot promise an epoch twice
    promise: (_, p) => {
      void host.persistEpoch(p.epoch).then(
        () => {
          if (p.kind === 'stand') host.toActor(p.ballot, { type: 'STOOD', term: p.epoch });
          else if (p.kind === 'vote') host.sendTo(p.to, 'vote', { prevote: false, term: p.epoch, granted: true, position: host.position() });
          else host.sendTo(p.to, 'confirm-reply', { phase: 'promise', term: p.epoch, granted: true, position: host.position() });
        },
        (e) => host.storeFailed('epoch', e),
      );
    },
    refuseStand: (_, p) => host.toActor(p.ballot, { type: 'STAND_REFUSED', term: p.term }),
    refusePromise: (_, p) => host.sendTo(p.to, 'confirm-reply', { phase: 'promise', term: p.term, granted: false, position: host.position() }),
    sendHandover: (_, p) => {
      const members = Object.keys(host.replica.newestMembers()).filter((m) => m !== host.id);
      void host.persistEpoch(p.epoch).then(
        () => {
          for (const m of members) host.sendTo(m, 'handover', { to: p.to, epoch: p.epoch, leaving: p.leaving });
        },
        (e) => host.storeFailed('epoch', e),
      );
    },
    submitLeave: () => {
      host.submitter.submit({ membership: { remove: [{ id: host.id, reason: 'leave' }] } }).catch((e) => host.logger.info('leave not committed', { error: String(e) }));
    },
    announce: (_, p) => {
      const db = host.replica.tentativeShape;
      host.sendTo(p.to, 'announce', { manager: host.id, backup: db.meta.backup, commitSeq: host.replica.committedSeq, membershipSeq: host.replica.committedChangeSeq, member: !!db.nodes[p.to] });
    },
    stopRuntime: () => stop(),
    tellLiveness: (_, p) => host.toActor('liveness', { type: 'MEMBERS', ...p }),
  };
}
