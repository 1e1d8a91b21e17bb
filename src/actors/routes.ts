/**
 * Which actor owns which message (SPEC section 8 message types → the events of
 * src/machines): every admitted message becomes typed events for the actors that decide on
 * it, and a HEARD for the liveness actor. An actor that is not running (no election while a
 * member, no coordinator on a client) simply does not receive its events.
 */
import type { Envelope } from '../bus/envelope.js';
import type { Body } from '../bus/bodies.js';
import type { UpdateRecord } from '../db/types.js';
import type { NodeHost } from './host.js';

const LEADING_TYPES = new Set(['heartbeat', 'update', 'commit']);
const ANSWER_TYPES = new Set(['heartbeat-ack', 'update-ack']);

export interface RouteHooks {
  /** A submission reached this node (it may be the manager). */
  onSubmit(env: Envelope, body: Body<'submit'>): void;
  onSubmitResult(body: Body<'submit-result'>): void;
  onFetch(env: Envelope, body: Body<'fetch'>): void;
  onFetchReply(env: Envelope, body: Body<'fetch-reply'>): void;
  onJoinRequest(env: Envelope, body: Body<'join-request'>): void;
  onGroupMessage(env: Envelope, body: Body<'group-message'>): void;
  /** A hosted actor's event or reply (src/actors/hosted). */
  onActorMessage(env: Envelope, body: Body<'actor-event'> | Body<'actor-reply'>): void;
  onAdmin(env: Envelope): void;
}

export function routeMessage(host: NodeHost, hooks: RouteHooks, env: Envelope, body: unknown): void {
  const from = env.from;
  const at = host.clock.now();
  // liveness counts the heartbeat flow and replication, not any message: an isolated manager's
  // hello must not look like a live manager to its old clients
  if (LEADING_TYPES.has(env.type) || ANSWER_TYPES.has(env.type)) host.toActor('liveness', { type: 'HEARD', from, leading: LEADING_TYPES.has(env.type) });
  switch (env.type) {
    case 'hello': {
      const b = body as Body<'hello'>;
      host.toNode({ type: 'HELLO', node: b.node, position: b.position, epoch: env.epoch, at });
      host.toActor('election', { type: 'PARTICIPANT', node: b.node, position: b.position, epoch: env.epoch, at });
      return;
    }
    case 'announce': {
      const b = body as Body<'announce'>;
      host.toNode({ type: 'MANAGER_HEARD', manager: from, epoch: env.epoch, quorate: true, membershipSeq: b.membershipSeq });
      if (!b.member) host.toNode({ type: 'NOT_MEMBER', from });
      return;
    }
    case 'heartbeat': {
      const b = body as Body<'heartbeat'>;
      host.sendTo(from, 'heartbeat-ack', { commitSeq: host.replica.committedSeq });
      if (b.role !== 'manager') return;
      host.toNode({ type: 'MANAGER_HEARD', manager: from, epoch: env.epoch, quorate: true, membershipSeq: b.membershipSeq });
      host.toActor('follower', { type: 'COMMIT_NOTICE', from, epoch: env.epoch, commitSeq: b.commitSeq });
      return;
    }
    case 'candidacy': {
      const b = body as Body<'candidacy'>;
      const candidate = { id: b.node.id, priority: b.node.priority, qualified: b.node.qualified };
      host.toActor('election', { type: 'PARTICIPANT', node: b.node, position: b.position, epoch: env.epoch, at, ...(b.prevote ? {} : { asksVotesFor: b.term }) });
      host.toNode({ type: b.prevote ? 'PREVOTE_REQUEST' : 'VOTE_REQUEST', from, term: b.term, candidate, position: b.position, epoch: env.epoch, at });
      return;
    }
    case 'vote': {
      const b = body as Body<'vote'>;
      host.toActor('election', b.prevote
        ? { type: 'PREVOTE_REPLY', from, term: b.term, granted: b.granted, position: b.position, epoch: env.epoch, at }
        : { type: 'VOTE_REPLY', from, term: b.term, granted: b.granted, epoch: env.epoch, at });
      return;
    }
    case 'confirm-request': {
      const b = body as Body<'confirm-request'>;
      host.toNode(b.phase === 'ask' ? { type: 'CONFIRM_ASK', from, term: b.term, position: b.position } : { type: 'PROMISE_REQUEST', from, term: b.term, position: b.position });
      return;
    }
    case 'confirm-reply': {
      const b = body as Body<'confirm-reply'>;
      if (b.phase === 'ask') {
        const position = b.position ?? { lastSeq: 0, lastEpoch: 0, commitSeq: 0 };
        host.toActor('takeover', { type: 'ASK_REPLY', from, term: b.term, lost: b.lost === true, position });
        return;
      }
      const reply = { type: 'PROMISE_REPLY' as const, from, term: b.term, granted: b.granted === true };
      if (host.actor('takeover')) host.toActor('takeover', reply);
      else host.toNode(reply);
      return;
    }
    case 'handover': {
      const b = body as Body<'handover'>;
      host.toNode({ type: 'HANDOVER_NOTICE', from, to: b.to, epoch: b.epoch, leaving: b.leaving });
      return;
    }
    case 'join-request':
      return hooks.onJoinRequest(env, body as Body<'join-request'>);
    case 'join-accept': {
      const b = body as Body<'join-accept'>;
      host.toActor('follower', { type: 'SNAPSHOT', from, epoch: env.epoch, seq: b.snapshot.seq, snapshotEpoch: b.snapshot.epoch, snapshot: b.snapshot, commitSeq: b.commitSeq });
      return;
    }
    case 'update': {
      const b = body as Body<'update'>;
      const records = b.records as unknown as UpdateRecord[];
      host.toActor('follower', {
        type: 'UPDATE',
        from,
        epoch: env.epoch,
        prev: b.prev,
        metas: records.map((r) => ({ seq: r.seq, epoch: r.epoch })),
        records,
        commitSeq: b.commitSeq,
      });
      return;
    }
    case 'heartbeat-ack':
      // a node that answers as a member but is none hears so from the manager
      host.toActor('coordinator', { type: 'PING', from });
      return;
    case 'update-ack': {
      const b = body as Body<'update-ack'>;
      host.toActor('coordinator', { type: 'ACK', from, ok: b.ok, match: b.match, hint: b.hint });
      return;
    }
    case 'commit': {
      const b = body as Body<'commit'>;
      host.toActor('follower', { type: 'COMMIT_NOTICE', from, epoch: env.epoch, commitSeq: b.commitSeq });
      return;
    }
    case 'submit':
      return hooks.onSubmit(env, body as Body<'submit'>);
    case 'submit-result':
      return hooks.onSubmitResult(body as Body<'submit-result'>);
    case 'fetch':
      return hooks.onFetch(env, body as Body<'fetch'>);
    case 'fetch-reply':
      return hooks.onFetchReply(env, body as Body<'fetch-reply'>);
    case 'group-message':
      return hooks.onGroupMessage(env, body as Body<'group-message'>);
    case 'actor-event':
    case 'actor-reply':
      return hooks.onActorMessage(env, body as Body<'actor-event'>);
    case 'status-request':
    case 'admin-request':
      return hooks.onAdmin(env);
    default:
      return;
  }
}
