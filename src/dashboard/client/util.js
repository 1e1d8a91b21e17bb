// glup dashboard, browser side: small helpers shared by the other scripts (no modules: the
// page inlines every script, so they share the GLUP namespace).
(function (G) {
  'use strict';

  /** Natural id order (SPEC section 2): runs of digits compare as numbers, so n2 < n10. */
  G.compareIds = function (a, b) {
    const ra = String(a).match(/\d+|\D+/g) || [];
    const rb = String(b).match(/\d+|\D+/g) || [];
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      const x = ra[i];
      const y = rb[i];
      if (x === y) continue;
      const nx = /^\d/.test(x);
      const ny = /^\d/.test(y);
      if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
      return x < y ? -1 : 1;
    }
    return ra.length - rb.length;
  };

  G.esc = function (s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  };

  /** First index whose `.t` is greater than t (events sorted by t). */
  G.upperBound = function (events, t) {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid].t <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  G.ROLE_COLORS = {
    manager: '#c0392b',
    backup: '#e67e22',
    client: '#2e86c1',
    joining: '#95a5a6',
    isolated: '#8e44ad',
    stopped: '#e5e8e8',
    down: '#e5e8e8',
    unreachable: '#f5b7b1',
    unknown: '#d5dbdb',
  };

  /**
   * How each kind of message is drawn in the sequence diagram, by message type families of
   * the original design's figures: heartbeats, GLUP updates and acks, elections, takeover
   * confirmation, membership. Answers are dashed. Unknown types are grey.
   */
  G.MESSAGE_STYLES = [
    { test: /^heartbeat$/, color: '#c0392b', family: 'heartbeat' },
    { test: /^heartbeat-ack$/, color: '#e6808a', family: 'heartbeat', answer: true },
    { test: /^(update|commit)$/, color: '#1f618d', family: 'glup' },
    { test: /^update-ack$/, color: '#5dade2', family: 'glup', answer: true },
    { test: /^(submit)$/, color: '#117a65', family: 'glup' },
    { test: /^(submit-result)$/, color: '#48c9b0', family: 'glup', answer: true },
    { test: /^(candidacy)$/, color: '#6c3483', family: 'election' },
    { test: /^(vote)$/, color: '#a569bd', family: 'election', answer: true },
    { test: /^(confirm-request|handover)$/, color: '#d35400', family: 'takeover' },
    { test: /^(confirm-reply)$/, color: '#f0b27a', family: 'takeover', answer: true },
    { test: /^(hello|announce|join-request|leave)$/, color: '#7f8c8d', family: 'membership' },
    { test: /^(join-accept|fetch|fetch-reply)$/, color: '#aab7b8', family: 'membership', answer: true },
    { test: /^group-message$/, color: '#2e4053', family: 'groups' },
  ];
  G.messageStyle = function (type) {
    return G.MESSAGE_STYLES.find((s) => s.test.test(type)) || { color: '#99a3a4', family: 'other' };
  };
  /** The dashboard's own traffic (and other tools'): never drawn. */
  G.TOOL_MESSAGES = new Set(['status-request', 'status-reply', 'admin-request', 'admin-reply', 'inspect-request', 'inspect-feed', 'chunk']);

  /** A short text for a message: its type and the summary fields that tell the story. */
  G.messageText = function (m) {
    const s = m.summary || {};
    const parts = [m.msgType];
    const seqs = Array.isArray(s.seqs) ? s.seqs : s.seqs && typeof s.seqs === 'object' ? [s.seqs.first + '…' + s.seqs.last] : null;
    if (seqs && seqs.length) parts.push('seq ' + seqs.join(','));
    if (Array.isArray(s.acks) && s.acks.length) parts.push('ack ' + s.acks.join(','));
    for (const k of ['term', 'for', 'commitSeq', 'upTo', 'op', 'code', 'role']) if (s[k] !== undefined && !(k === 'role' && m.msgType.startsWith('heartbeat'))) parts.push(k + ' ' + s[k]);
    if (m.msgType.startsWith('confirm') || m.msgType === 'candidacy' || m.msgType === 'vote') parts.push('e' + (s.epoch !== undefined ? s.epoch : m.epoch));
    if (s.lost !== undefined) parts.push(s.lost ? 'lost' : 'alive');
    return parts.join(' ');
  };

  G.fmtMs = function (ms) {
    if (!isFinite(ms)) return '–';
    if (Math.abs(ms) >= 1000) return (ms / 1000).toFixed(2) + ' s';
    return ms.toFixed(1) + ' ms';
  };

  G.svg = function (tag, attrs, text) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) el.setAttribute(k, attrs[k]);
    if (text !== undefined) el.textContent = text;
    return el;
  };

  G.el = function (tag, attrs, html) {
    const el = document.createElement(tag);
    for (const k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) el.setAttribute(k, attrs[k]);
    if (html !== undefined) el.innerHTML = html;
    return el;
  };

  /** A state value (`'idle'`, `{active: {member: 'manager'}}`, parallel objects) as leaf paths. */
  G.valuePaths = function (value) {
    if (value === null || value === undefined) return [];
    if (typeof value === 'string') return [[value]];
    if (typeof value !== 'object') return [];
    const out = [];
    for (const k of Object.keys(value)) {
      const sub = G.valuePaths(value[k]);
      if (sub.length === 0) out.push([k]);
      for (const p of sub) out.push([k].concat(p));
    }
    return out;
  };

  G.valueText = function (value) {
    return G.valuePaths(value).map((p) => p.join('.')).join(' | ') || '–';
  };
})((window.GLUP = window.GLUP || {}));
