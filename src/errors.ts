/** Error codes a caller of the embedding API can meet (SPEC section 11). */
export const GLUP_ERROR_CODES = ['NO_QUORUM', 'NOT_MEMBER', 'TIMEOUT', 'CAS_FAILED', 'INVALID_OP', 'STOPPED', 'UNKNOWN_ACTOR'] as const;
export type GlupErrorCode = (typeof GLUP_ERROR_CODES)[number];

/** The one error class of the public API; `code` is what callers (and scenario `expectError`) match on. */
export class GlupError extends Error {
  readonly code: GlupErrorCode;
  constructor(code: GlupErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'GlupError';
    this.code = code;
  }
}

export function isGlupErrorCode(value: unknown): value is GlupErrorCode {
  return typeof value === 'string' && (GLUP_ERROR_CODES as readonly string[]).includes(value);
}
