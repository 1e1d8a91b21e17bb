// glup dashboard: the page's state (time, selection, playing, live following), the
// controls, and the render that redraws every panel for the current time. A trace opens at
// its end, showing the final state; a live page follows the newest events until it is
// paused or scrubbed back.
(function (G) {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10];
  const WINDOWS = [20, 40, 60, 120, 240];

  const data = JSON.parse($('glup-data').textContent);
  const ui = {
    index: null,
    t: 0,
    selected: null,
    playing: false,
    speed: 1,
    follow: data.mode === 'live',
    messages: 40,
    openPaths: new Set(['data', 'groups', 'meta']),
    cursor: 0,
    dbCursor: 0,
    now: null,
    fit: true,
  };
  G.app = ui;

  function reindex() {
    ui.index = G.buildIndex(data);
    if (ui.now !== null) ui.index.tEnd = Math.max(ui.index.tEnd, ui.now);
  }

  function setTime(t, fromUser) {
    const idx = ui.index;
    ui.t = Math.max(idx.t0, Math.min(idx.tEnd, t));
    if (fromUser && data.mode === 'live') ui.follow = ui.t >= idx.tEnd - 1;
    schedule();
  }

  function select(node) {
    ui.selected = node;
    schedule();
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }

  function render() {
    const idx = ui.index;
    if (ui.follow) ui.t = idx.tEnd;
    const state = G.stateAt(idx, ui.t);
    if (ui.selected === null || !idx.nodes.includes(ui.selected)) ui.selected = state.manager || idx.nodes[0] || null;
    const rel = ui.t - idx.t0;
    const scrub = $('scrubber');
    scrub.max = String(Math.max(0, idx.tEnd - idx.t0));
    if (document.activeElement !== scrub) scrub.value = String(rel);
    $('time').textContent = 't = ' + G.fmtMs(rel) + ' / ' + G.fmtMs(idx.tEnd - idx.t0);
    $('play').textContent = ui.playing ? '❚❚ pause' : '▶ play';
    const badge = $('mode');
    badge.classList.toggle('paused', data.mode === 'live' && !ui.follow);
    badge.textContent = data.mode === 'live' ? (ui.follow ? 'live' : 'paused') : data.mode;
    $('golive').hidden = data.mode !== 'live' || ui.follow;
    document.querySelectorAll('.selname').forEach((el) => (el.textContent = ui.selected || '–'));

    G.renderTimeline($('timeline'), idx, ui.t, ui.selected, (t) => {
      pause();
      setTime(t, true);
    }, select);
    G.renderNodes($('nodes'), idx, state, ui.selected, select);
    if (ui.selected !== null) {
      G.renderCharts($('charts'), idx, state, ui.selected, ui.t, ui);
      G.renderLog($('log'), idx, state, ui.selected, ui.t);
      G.renderDb($('db'), idx, state, ui.selected, ui.openPaths);
      G.renderGroups($('groups'), idx, state, ui.selected);
    }
    G.renderSequence($('sequence'), idx, state, ui.t, ui.messages);
    document.body.dataset.ready = 'true';
    document.body.dataset.t = String(rel);
    document.body.dataset.events = String(idx.events.length);
  }

  // ---- playback
  let last = null;
  function frame(now) {
    if (!ui.playing) return;
    if (last !== null) {
      const next = ui.t + (now - last) * ui.speed;
      if (next >= ui.index.tEnd) {
        setTime(ui.index.tEnd);
        if (data.mode === 'live') ui.follow = true;
        pause();
        return;
      }
      setTime(next);
    }
    last = now;
    requestAnimationFrame(frame);
  }
  function play() {
    if (ui.t >= ui.index.tEnd - 0.001) ui.t = ui.index.t0;
    ui.follow = false;
    ui.playing = true;
    last = null;
    requestAnimationFrame(frame);
    schedule();
  }
  function pause() {
    ui.playing = false;
    schedule();
  }

  function controls() {
    $('play').addEventListener('click', () => (ui.playing ? pause() : play()));
    const speed = $('speed');
    speed.innerHTML = SPEEDS.map((s) => '<option value="' + s + '">' + s + '×</option>').join('');
    // a trace plays in about 20 s at the default speed
    const span = ui.index.tEnd - ui.index.t0;
    ui.speed = data.mode === 'live' ? 1 : SPEEDS.reduce((best, s) => (Math.abs(s - span / 20000) < Math.abs(best - span / 20000) ? s : best), SPEEDS[0]);
    speed.value = String(ui.speed);
    speed.addEventListener('change', () => (ui.speed = Number(speed.value)));
    $('scrubber').addEventListener('input', (ev) => {
      pause();
      setTime(ui.index.t0 + Number(ev.target.value), true);
    });
    const win = $('window');
    win.innerHTML = WINDOWS.map((w) => '<option value="' + w + '">' + w + ' messages</option>').join('');
    win.value = String(ui.messages);
    win.addEventListener('change', () => {
      ui.messages = Number(win.value);
      schedule();
    });
    $('golive').addEventListener('click', () => {
      ui.follow = true;
      pause();
    });
    window.addEventListener('resize', schedule);
    document.addEventListener('keydown', (ev) => {
      if (ev.target && /INPUT|SELECT/.test(ev.target.tagName)) return;
      if (ev.key === ' ') {
        ev.preventDefault();
        ui.playing ? pause() : play();
      }
    });
  }

  // ---- live: poll the server for new lines and databases
  async function poll() {
    try {
      const res = await fetch('api/live?since=' + ui.cursor + '&dbSince=' + ui.dbCursor, { cache: 'no-store' });
      if (res.ok) {
        const p = await res.json();
        ui.cursor = p.cursor;
        ui.dbCursor = p.dbCursor;
        ui.now = p.now;
        for (const e of p.events) data.events.push(e);
        Object.assign(data.dbs, p.dbs);
        $('conn').textContent = '';
        reindex();
        schedule();
      } else {
        $('conn').textContent = 'server answered ' + res.status;
      }
    } catch (e) {
      $('conn').textContent = 'dashboard server unreachable';
    }
    setTimeout(poll, 700);
  }

  reindex();
  ui.t = ui.index.tEnd;
  controls();
  G.renderLegend($('legend'));
  G.renderSequenceLegend($('seq-legend'));
  render();
  if (data.mode === 'live') poll();
})((window.GLUP = window.GLUP || {}));
