import type { Clock } from '../clock.js';

/** A message as a transport sees it: bytes on a subject, nothing about roles or machines. */
export interface TransportMessage {
  subject: string;
  data: Uint8Array;
  /** Reply subject for request/reply; answer with `transport.publish(msg.reply, data)`. */
  reply?: string;
}

export type MessageHandler = (msg: TransportMessage) => void;

export interface Subscription {
  unsubscribe(): void;
}

/**
 * The one bus interface (SPEC section 8). Subjects are NATS subjects: tokens separated by
 * dots, `*` matches one token, `>` matches one or more trailing tokens.
 * Implementations: `memory` (in-process, deterministic) and `nats`.
 */
export interface Transport {
  /** The endpoint's name (a node id). */
  readonly name: string;
  /** The time source that goes with this transport: virtual on a simulated network. */
  readonly clock: Clock;
  publish(subject: string, data: Uint8Array, opts?: { reply?: string }): void;
  subscribe(subject: string, handler: MessageHandler): Subscription;
  /** Resolves with the first reply; rejects with GlupError TIMEOUT after `timeoutMs`. */
  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<TransportMessage>;
  /** A fresh reply subject only this endpoint listens on (NATS: `_INBOX.<nuid>`); optional. */
  inbox?(): string;
  /** Resolves when everything published so far has left this endpoint. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
  /**
   * Every receiver of one publish gets the very same `data`, which nobody writes to (the
   * memory network): the bus decodes it once and shares the frozen envelope.
   */
  readonly sharesPayloads?: boolean;
}

/**
 * Subject names of SPEC section 8 (revised 2026-11-29; the list is part of the contract).
 * The SENDER is the last token of every subject but the JetStream log's, so a nats-server
 * that lets user F publish only on subjects ending in `.F` enforces who speaks (docs/security.md);
 * the bus drops a message whose envelope `from` is not that token (src/bus/identity.ts).
 * Each `…All` pattern is what a receiver subscribes to: a `*` in the sender's place.
 */
export const subjects = {
  discovery: (cluster: string, from: string) => `glup.${cluster}.disc.${from}`,
  heartbeat: (cluster: string, from: string) => `glup.${cluster}.hb.${from}`,
  /** Unicast to `node`; answers (acks, votes, replies) travel here or to the asker's inbox. */
  node: (cluster: string, node: string, from: string) => `glup.${cluster}.node.${node}.${from}`,
  submit: (cluster: string, from: string) => `glup.${cluster}.submit.${from}`,
  update: (cluster: string, from: string) => `glup.${cluster}.update.${from}`,
  group: (cluster: string, group: string, from: string) => `glup.${cluster}.pg.${group}.${from}`,
  /** Status and admin requests (glup status / switchover / remove / the data commands), from tool `from`. */
  admin: (cluster: string, from: string) => `glup.${cluster}.admin.${from}`,
  /** A node's persisted log (JetStream): written only by that node's store, never through the bus. */
  log: (cluster: string, node: string) => `glup.${cluster}.log.${node}`,
  /** Hosted actors (SPEC section 11): events of actor type `type` to `node` from `from`, and the replies back. */
  actor: (cluster: string, type: string, node: string, from: string) => `glup.${cluster}.actor.${type}.${node}.${from}`,

  discoveryAll: (cluster: string) => `glup.${cluster}.disc.*`,
  heartbeatAll: (cluster: string) => `glup.${cluster}.hb.*`,
  /** Everything addressed to `node`, from any sender. */
  nodeAll: (cluster: string, node: string) => `glup.${cluster}.node.${node}.*`,
  submitAll: (cluster: string) => `glup.${cluster}.submit.*`,
  updateAll: (cluster: string) => `glup.${cluster}.update.*`,
  /** Every group's messages (group names are one token, so `*.*` is group and sender). */
  groupAll: (cluster: string) => `glup.${cluster}.pg.*.*`,
  adminAll: (cluster: string) => `glup.${cluster}.admin.*`,
  /** Every hosted-actor event or reply addressed to `node`: any type, any sender. */
  actorAll: (cluster: string, node: string) => `glup.${cluster}.actor.*.${node}.*`,
} as const;

/** NATS subject matching: `*` one token, `>` the rest (at least one token). */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}
