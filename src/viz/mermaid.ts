/**
 * A machine graph as a Mermaid `stateDiagram-v2`. Mermaid cannot draw a transition
 * declared outside the composite states it crosses, so each transition is written inside
 * the innermost composite state holding both its ends.
 */
import { transitionLabel, type GraphState, type GraphTransition, type MachineGraph } from './graph.js';

const MERMAID_KEYWORDS = new Set(['state', 'note', 'end', 'direction', 'class', 'classdef', 'style', 'click', 'as', 'hide']);

export function toMermaid(graph: MachineGraph): string {
  const mermaidId = mermaidIds(graph);
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const children = new Map<string, GraphState[]>();
  for (const s of graph.states) if (s.parent !== null) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  const transitionsIn = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    const scope = enclosingScope(t, byId);
    transitionsIn.set(scope, [...(transitionsIn.get(scope) ?? []), t]);
  }
  const root = graph.states.find((s) => s.parent === null)!;
  const lines = ['stateDiagram-v2'];

  const writeScope = (scope: GraphState, indent: string) => {
    const kids = children.get(scope.id) ?? [];
    if (scope.type === 'parallel') {
      kids.forEach((region, i) => {
        if (i > 0) lines.push(`${indent}--`);
        writeState(region, indent);
      });
    } else {
      if (scope.initial !== null) lines.push(`${indent}[*] --> ${mermaidId(scope.initial)}`);
      for (const kid of kids) writeState(kid, indent);
    }
    for (const t of transitionsIn.get(scope.id) ?? []) {
      const from = mermaidId(t.source);
      const label = sanitize(transitionLabel(t));
      const targets = t.target.length > 0 ? t.target : [t.source];
      for (const target of targets) lines.push(`${indent}${from} --> ${mermaidId(target)} : ${label}`);
    }
    for (const kid of kids) if (kid.type === 'final') lines.push(`${indent}${mermaidId(kid.id)} --> [*]`);
  };

  const writeState = (s: GraphState, indent: string) => {
    const id = mermaidId(s.id);
    const notes = stateNotes(s);
    if (s.type === 'compound' || s.type === 'parallel') {
      lines.push(`${indent}state ${id} {`);
      writeScope(s, `${indent}  `);
      lines.push(`${indent}}`);
      // Mermaid shows no description on a composite state: its entry/invoke go in a note.
      if (notes.length > 0) lines.push(`${indent}note right of ${id} : ${notes.join(', ')}`);
    } else {
      lines.push(id === s.key ? `${indent}${id}` : `${indent}state "${s.key}" as ${id}`);
      for (const note of notes) lines.push(`${indent}${id} : ${note}`);
    }
  };

  writeScope(root, '  ');
  return `${lines.join('\n')}\n`;
}

function stateNotes(s: GraphState): string[] {
  return [
    ...(s.tags.length > 0 ? [s.tags.map((tag) => `tag ${tag}`).join(', ')] : []),
    ...s.entry.map((a) => `entry / ${a}`),
    ...s.exit.map((a) => `exit / ${a}`),
    ...s.invokes.map((src) => `invoke ${src}`),
  ].map(sanitize);
}

/** Mermaid ends a label at `;` and starts a comment at `%%`; `:` splits descriptions. */
function sanitize(text: string): string {
  return text.replace(/[;:]/g, ' ').replace(/%/g, ' pct').replace(/#/g, '');
}

/** The innermost composite (not the transition's own source) holding the source and every target. */
function enclosingScope(t: GraphTransition, byId: Map<string, GraphState>): string {
  const ancestors = (id: string) => {
    const chain: string[] = [];
    for (let s = byId.get(id)?.parent; s != null; s = byId.get(s)?.parent) chain.push(s);
    return chain;
  };
  let scope = ancestors(t.source);
  for (const target of t.target) {
    const targetChain = new Set([target, ...ancestors(target)]);
    scope = scope.filter((a) => targetChain.has(a) && a !== target);
  }
  // A state's own parallel region list cannot hold arrows; go up to the composite above it.
  return scope.find((id) => byId.get(id)?.type !== 'parallel') ?? scope[scope.length - 1] ?? t.source;
}

/** Each state's key when unique in the machine (readable), else its path joined with `_`. */
function mermaidIds(graph: MachineGraph): (id: string) => string {
  const keyCount = new Map<string, number>();
  for (const s of graph.states) keyCount.set(s.key, (keyCount.get(s.key) ?? 0) + 1);
  const ids = new Map<string, string>();
  for (const s of graph.states) {
    const readable = keyCount.get(s.key) === 1 ? s.key : s.id.split('.').slice(1).join('_');
    let id = readable.replace(/[^A-Za-z0-9_]/g, '_');
    if (MERMAID_KEYWORDS.has(id.toLowerCase()) || /^\d/.test(id)) id = `s_${id}`;
    ids.set(s.id, id);
  }
  return (id) => ids.get(id) ?? id;
}
