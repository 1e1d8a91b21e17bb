/**
 * Scenario files: YAML with positions. Every complaint names the file, the line and the
 * column of the offending node ("scenarios/x.yaml:12:5: unknown step kind …"), because
 * other tools run our runner on files we have never seen (SPEC sections 9 and 10).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { SchemaIssue, schemaPathLabel, validateScenario, type SchemaPath } from './schema.js';
import type { Scenario, ScenarioSource } from './types.js';

/** A scenario file that cannot be used; the CLI exits 2 on it. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${reason}` : `${file}: ${reason}`);
    this.name = 'ScenarioError';
  }
}

/** Scenario files are small; a bigger one is a mistake, refused before any parsing work. */
const MAX_FILE_BYTES = 1 << 20;

export async function parseScenarioFile(file: string): Promise<Scenario> {
  return (await loadScenarioFile(file)).scenario;
}

export async function loadScenarioFile(file: string): Promise<ScenarioSource> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_FILE_BYTES) throw new ScenarioError(file, 0, 0, `file is ${bytes.length} bytes, over the ${MAX_FILE_BYTES} byte limit`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScenarioError(file, 0, 0, `cannot read the file (${code ?? (err as Error).message})`);
  }
  return parseScenarioSource(text, file);
}

export function parseScenario(text: string, fileName: string): Scenario {
  return parseScenarioSource(text, fileName).scenario;
}

export function parseScenarioSource(text: string, file: string): ScenarioSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? lineCounter.linePos(yamlError.pos[0]);
    throw new ScenarioError(file, pos.line, pos.col, `invalid YAML: ${firstLine(yamlError.message)}`);
  }
  if (doc.contents === null) throw new ScenarioError(file, 1, 1, 'the file is empty (a scenario needs name, cluster and steps)');
  let raw: unknown;
  try {
    // maxAliasCount guards against alias bombs; the default schema (YAML 1.2 core) has no merge keys.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ScenarioError(file, 1, 1, `invalid YAML: ${firstLine((err as Error).message)}`);
  }
  let scenario: Scenario;
  try {
    scenario = validateScenario(raw);
  } catch (err) {
    if (!(err instanceof SchemaIssue)) throw err;
    const pos = lineCounter.linePos(offsetOf(doc, err.path, err.at));
    throw new ScenarioError(file, pos.line, pos.col, err.message);
  }
  const stepLines = scenario.steps.map((_, i) => lineCounter.linePos(offsetOf(doc, ['steps', i], 'value')).line);
  return { file, scenario, stepLines };
}

/**
 * Validates a scenario that is already a value (the header of a trace). There are no
 * positions: the message names the path instead of a line.
 */
export function validateScenarioValue(value: unknown, source: string): Scenario {
  try {
    return validateScenario(value);
  } catch (err) {
    if (!(err instanceof SchemaIssue)) throw err;
    throw new ScenarioError(source, 0, 0, `${schemaPathLabel(err.path)}: ${err.message}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Offset of the node at `path` (or of its key), else of the deepest ancestor found. */
function offsetOf(doc: Document, path: SchemaPath, at: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let best = start(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      const keyStart = start(pair.key);
      if (i === path.length - 1 && at === 'key' && keyStart !== undefined) return keyStart;
      node = pair.value;
      best = start(node) ?? keyStart ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      best = start(node) ?? best;
    } else {
      break;
    }
  }
  return best;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function start(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
