/** The bus layer (SPEC section 8): transports, the envelope, the fault filter and the bus on top. */
export { subjects, subjectMatches } from './transport.js';
export type { Transport, TransportMessage, MessageHandler, Subscription } from './transport.js';
export { MESSAGE_TYPES, ENVELOPE_VERSION, isMessageType } from './messageTypes.js';
export type { MessageType } from './messageTypes.js';
export { encodeEnvelope, decodeEnvelope, MAX_ENVELOPE_BYTES, MAX_ENVELOPE_DEPTH } from './envelope.js';
export type { Envelope, DecodeResult } from './envelope.js';
export { createBus } from './bus.js';
export type { Bus, BusOptions, BusMetrics, EnvelopeHandler } from './bus.js';
export { createFaults } from './faultFilter.js';
export type { FaultFilter, FaultChange } from './faultFilter.js';
export type { Faults, FaultSettings } from './faults.js';
export { createVirtualClock } from './virtualClock.js';
export type { VirtualClock, ClockEvent, RunOptions } from './virtualClock.js';
export { memoryNetwork } from './memory.js';
export type { MemoryNetwork, MemoryNetworkOptions, MemoryNetworkStats } from './memory.js';
export { natsTransport } from './nats.js';
export type { NatsTransport, NatsTransportOptions } from './nats.js';
