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
  /** Resolves when everything published so far has left this endpoint. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** Subject names of SPEC section 8 (the list is part of the contract). */
export const subjects = {
  discovery: (cluster: string) => `glup.${cluster}.disc`,
  heartbeat: (cluster: string) => `glup.${cluster}.hb`,
  node: (cluster: string, node: string) => `glup.${cluster}.node.${node}`,
  submit: (cluster: string) => `glup.${cluster}.submit`,
  update: (cluster: string) => `glup.${cluster}.update`,
  group: (cluster: string, group: string) => `glup.${cluster}.pg.${group}`,
  log: (cluster: string, node: string) => `glup.${cluster}.log.${node}`,
  /** Status and admin requests (glup status / switchover / remove). */
  admin: (cluster: string) => `glup.${cluster}.admin`,
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
