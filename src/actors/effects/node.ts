/** Effects of the node actor (src/machines/node.ts): hello, answers to ballots, promises, handover, leave. */
import { nodeMachine } from '../../machines/node.js';
import type { NodeHost } from '../host.js';

export function nodeActions(host: NodeHost, stop: () => void) {
  return {
    sendHello: () => host.publish('discovery', 'hello', { node: host.facts(), position: host.position() }),
    answerBallot: (_: unknown, p: { to: string; term: number; prevote: boolean; granted: boolean }) =>
      host.sendTo(p.to, 'vote', { prevote: p.prevote, term: p.term, granted: p.granted, position: host.position() }),
    answerAsk: (_: unknown, p: { to: string; term: number; lost: boolean }) =>
      host.sendTo(p.to, 'confirm-reply', { phase: 'ask', term: p.term, lost: p.lost, position: host.position() }),
    // the promise is durable before anyone counts it: a restart cannot promise an epoch twice
    promise: (_: unknown, p: { to: string; epoch: number; kind: 'vote' | 'confirm' }) => {
      void host.persistEpoch(p.epoch).then(
        () => {
          if (p.kind === 'vote') host.sendTo(p.to, 'vote', { prevote: false, term: p.epoch, granted: true, position: host.position() });
          else host.sendTo(p.to, 'confirm-reply', { phase: 'promise', term: p.epoch, granted: true, position: host.position() });
        },
        (e) => host.storeFailed('epoch', e),
      );
    },
    refusePromise: (_: unknown, p: { to: string; term: number }) =>
      host.sendTo(p.to, 'confirm-reply', { phase: 'promise', term: p.term, granted: false, position: host.position() }),
    sendHandover: (_: unknown, p: { to: string; epoch: number }) => {
      // the notice goes out in the old epoch (members follow this manager in it); the new one is in its body
      const oldEpoch = p.epoch - 1;
      const members = Object.keys(host.replica.newestMembers()).filter((m) => m !== host.id);
      void host.persistEpoch(p.epoch).then(
        () => {
          for (const m of members) host.sendTo(m, 'handover', { to: p.to, epoch: p.epoch }, { epoch: oldEpoch });
        },
        (e) => host.storeFailed('epoch', e),
      );
    },
    submitLeave: () => {
      host.submitter.submit({ membership: { remove: [{ id: host.id, reason: 'leave' }] } }).catch((e) => host.logger.info('leave not committed', { error: String(e) }));
    },
    announce: (_: unknown, p: { to: string }) => {
      const db = host.replica.tentativeDb;
      host.sendTo(p.to, 'announce', { manager: host.id, backup: db.meta.backup, commitSeq: host.replica.committedSeq, member: !!db.nodes[p.to] });
    },
    stopRuntime: () => stop(),
  } satisfies Parameters<typeof nodeMachine.provide>[0]['actions'];
}
