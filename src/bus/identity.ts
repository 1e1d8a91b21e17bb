import type { Envelope } from './envelope.js';

/**
 * Who may speak on which subject (SPEC section 8, revised 2026-11-29). Every subject ends
 * with its sender's id, and a nats-server that lets user F publish only on `….F` makes that
 * token trustworthy; the envelope's `from` is only a claim. So a message whose `from` is not
 * its subject's last token is invalid: dropped and counted like any malformed message.
 *
 * Replies to a requester's inbox carry no sender in their subject: the bus checks those
 * against the node the request addressed instead (bus.request), and `gather` (a status
 * request to every node) cannot check them at all; see docs/security.md.
 */

/** Why `env` may not arrive on `subject`, or undefined when it may. */
export function identityProblem(subject: string, env: Envelope): string | undefined {
  const tokens = subject.split('.');
  const sender = tokens[tokens.length - 1];
  return sender === env.from ? undefined : `from "${env.from}" is not the subject's sender "${sender}"`;
}

/** Why a reply to a request addressed to `to` is not acceptable, or undefined. */
export function replyProblem(to: string, env: Envelope): string | undefined {
  return env.from === to ? undefined : `reply from "${env.from}" to a request addressed to "${to}"`;
}
