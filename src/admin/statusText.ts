/**
 * `glup status` as text, one screen: the headline (manager, backup, epoch, seq, or that
 * there is no manager), one row per node with its role, status, committed seq and lag, the
 * process groups, and the counters an operator watches. `--watch` redraws it (crm_mon style).
 */
import type { ClusterStatus } from '../cli/admin.js';

export function statusLines(s: ClusterStatus, opts: { time?: Date } = {}): string[] {
  const when = opts.time ? ` at ${opts.time.toISOString().slice(11, 19)}` : '';
  const lines = [
    s.manager !== null
      ? `cluster ${s.cluster}: manager ${s.manager}, backup ${s.backup ?? 'none'}, epoch ${s.epoch}, seq ${s.seq}${when}`
      : `cluster ${s.cluster}: NO MANAGER (highest epoch seen ${s.epoch}, seq ${s.seq})${when}`,
  ];
  const rows = Object.entries(s.nodes).map(([id, n]) => [id, n.role, n.status, n.seq === null ? '-' : String(n.seq), n.lag === null ? '-' : String(n.lag), n.activations === undefined ? '' : String(n.activations)]);
  const showActivations = rows.some((r) => r[5] !== '');
  const header = ['NODE', 'ROLE', 'STATUS', 'SEQ', 'LAG', ...(showActivations ? ['ACTIVATIONS'] : [])];
  const table = [header, ...rows.map((r) => (showActivations ? r : r.slice(0, 5)))];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const numeric = new Set([3, 4, 5]);
  for (const r of table) lines.push(`  ${r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}`);
  for (const [g, members] of Object.entries(s.groups)) lines.push(`  group ${g}: ${members.join(', ') || '(empty)'}`);
  const m = s.metrics;
  lines.push(`  invalid messages ${m.invalidMessages}, fenced ${m.fencedMessages ?? 0}, handler errors ${m.handlerErrors ?? 0}`);
  return lines;
}
