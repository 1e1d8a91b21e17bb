/** The replicated cluster database: types, paths, validation and operations (SPEC sections 4 and 5). */
export * from './types.js';
export { FORBIDDEN_KEYS, formatPath, getAt, isPathPrefix, isPlainObject, parsePath, pathsOverlap } from './paths.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_UPDATE_BYTES, MAX_PATH_SEGMENTS, validateOp, validateSystemOp, type ValidateOptions } from './validate.js';
export { affectedPaths, applyOp, applyRecordPatches, checkCas, freezeDb, jsonEqual, type ApplyContext } from './ops.js';
