/**
 * Protocol message types, envelope major version 1. APPEND-ONLY: a type, once released,
 * keeps its name and meaning; new types go at the end. A node drops (and counts) a type it
 * does not know, so a newer node can run beside an older one during a rolling upgrade.
 */
export const ENVELOPE_VERSION = 1;

export const MESSAGE_TYPES = [
  'hello', // discovery: a node looking for its cluster
  'announce', // a manager's answer to hello: epoch, seq, membership
  'heartbeat', // manager/backup -> members, every heartbeatMs
  'heartbeat-ack', // member -> manager/backup, answer to each heartbeat
  'candidacy', // election: a qualified node stands
  'vote', // election: a node's vote, with its highest committed seq
  'join-request', // newcomer -> manager
  'join-accept', // manager -> newcomer: snapshot + log suffix (may be chunked)
  'submit', // any node -> manager: a GLUP submission
  'submit-result', // manager -> submitter: committed {seq, epoch} or error code
  'update', // coordinator -> members: one or more update records
  'update-ack', // member -> coordinator
  'commit', // coordinator -> members: commit notice
  'fetch', // member -> manager (or any holder): log range request
  'fetch-reply', // log range (may be chunked)
  'confirm-request', // backup -> members: did you lose the manager too?
  'confirm-reply', // member -> backup
  'handover', // leaving manager / switchover -> successor
  'leave', // a node announcing its graceful leave
  'group-message', // process group messaging (send / sendToOne)
  'status-request', // glup status / dashboard
  'status-reply',
  'admin-request', // glup switchover / remove
  'admin-reply',
  'chunk', // one piece of a payload larger than one message
  'inspect-request', // dashboard -> nodes (admin subject): send me your inspection feed for leaseMs
  'inspect-feed', // node -> dashboard: inspection events, status and, when it changed, the database
  'watch-event', // node -> tool (glup watch): one committed record under the watched prefix, or the watch's end
  'actor-event', // sender -> host of a hosted actor (glup.C.actor.<type>.<host>.<sender>): one event, numbered per sender
  'actor-reply', // host -> sender (glup.C.actor.<type>.<sender>.<host>): the event's outcome once its state is persisted, or "not here"
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(t: unknown): t is MessageType {
  return typeof t === 'string' && (MESSAGE_TYPES as readonly string[]).includes(t);
}
