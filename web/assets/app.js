// smsgw dashboard: fills the page the server sent from the v1 JSON API.
// No framework and no build step: the file is served as written.
(() => {
  'use strict';
  const meta = (n) => { const m = document.querySelector('meta[name="smsgw-' + n + '"]'); return m ? m.content : ''; };
  const CSRF = meta('csrf'), SCOPE = meta('scope'), PAGE = meta('page'), ID = meta('id');
  const canRead = SCOPE === 'all' || SCOPE === 'read';
  const canSend = SCOPE === 'all' || SCOPE === 'send';
  const full = SCOPE === 'all';
  const view = document.getElementById('view');

  // el builds an element; text children are text nodes, never HTML.
  function el(tag, attrs, ...kids) {
    const ns = tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : null;
    const e = ns ? document.createElementNS(ns, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }

  function setView(...nodes) {
    view.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
    view.removeAttribute('aria-busy');
  }

  let sayTimer;
  function say(msg) {
    const s = document.getElementById('status');
    s.textContent = msg;
    clearTimeout(sayTimer);
    sayTimer = setTimeout(() => { s.textContent = ''; }, 6000);
  }

  class APIError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  // api calls the server with the session cookie; state-changing requests
  // carry the session's CSRF token.
  async function api(method, path, body, headers) {
    const h = Object.assign({ Accept: 'application/json' }, headers || {});
    if (method !== 'GET') h['X-CSRF-Token'] = CSRF;
    let payload;
    if (body !== undefined) {
      if (typeof body === 'string') { payload = body; h['Content-Type'] = h['Content-Type'] || 'text/plain; charset=utf-8'; }
      else { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
    }
    const r = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
    if (r.status === 401 && meta('csrf')) {
      location.href = '/ui/signin?next=' + encodeURIComponent(location.pathname + location.search);
      throw new APIError(401, 'unauthorized', 'signed out');
    }
    if (r.status === 204) return null;
    const ct = r.headers.get('Content-Type') || '';
    const data = ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) {
      const e = data && data.error ? data.error : { code: 'http_' + r.status, message: String(data).slice(0, 200) };
      throw new APIError(r.status, e.code, e.message);
    }
    return data;
  }

  const fail = (e) => el('p', { class: 'alert', role: 'alert' }, e.message + (e.code ? ' (' + e.code + ')' : ''));

  const pad = (n) => String(n).padStart(2, '0');
  function fmtTime(s) {
    if (!s) return '';
    const d = new Date(s);
    if (isNaN(d)) return s;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  const timeEl = (s) => s ? el('time', { datetime: s }, fmtTime(s)) : '—';

  // State badges say the state in words and with a sign, never by colour alone.
  const STATE = {
    queued: ['s-info', '◷'], sending: ['s-info', '↗'], sent: ['s-info', '✓'], delivered: ['s-ok', '✓✓'],
    failed: ['s-bad', '✗'], expired: ['s-bad', '!'], cancelled: ['s-muted', '⊘'], uncertain: ['s-warn', '?'], suppressed: ['s-muted', '⊘'],
    ready: ['s-ok', '●'], offline: ['s-bad', '○'], benched: ['s-warn', '◐'], initialising: ['s-info', '◌'],
  };
  function badge(state) {
    const [cls, icon] = STATE[state] || ['s-muted', '•'];
    return el('span', { class: 'badge ' + cls, 'data-icon': icon, 'data-state': state }, state || 'unknown');
  }

  function bars(n, dbm) {
    n = Math.max(0, Math.min(4, n | 0));
    const label = 'Signal ' + n + ' of 4 bars' + (dbm !== undefined && dbm !== null ? ' (' + dbm + ' dBm)' : '');
    const b = el('span', { class: 'bars', role: 'img', 'aria-label': label, title: label });
    for (let i = 1; i <= 4; i++) b.append(el('i', { class: i <= n ? 'on' : null }));
    [...b.children].forEach((c, i) => { c.style.height = (4 + i * 4) + 'px'; });
    return el('span', {}, b, n + '/4' + (dbm !== undefined && dbm !== null ? ' · ' + dbm + ' dBm' : ''));
  }

  function dl(pairs) {
    const d = el('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') continue;
      d.append(el('dt', {}, k), el('dd', {}, v));
    }
    return d;
  }

  function table(head, rows, caption) {
    return el('div', { class: 'scroll' }, el('table', {},
      caption ? el('caption', { class: 'visually-hidden' }, caption) : null,
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))))));
  }

  // events opens the API's event stream and calls fn for each message
  // event (or each of names); the browser reconnects on its own with
  // Last-Event-ID.
  function events(fn, names) {
    if (!canRead || !window.EventSource) return;
    const es = new EventSource('/v1/events');
    for (const name of names || ['sms:received', 'sms:sent', 'sms:delivered', 'sms:failed']) {
      es.addEventListener(name, (m) => {
        let d = {};
        try { d = JSON.parse(m.data); } catch (_) { /* keep going */ }
        fn(name, d);
      });
    }
    window.addEventListener('pagehide', () => es.close());
  }

  function debounce(fn, ms) {
    let t;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  }

  const field = (id, label, input, hint) => el('div', {}, el('label', { for: id }, label), input,
    hint ? el('small', { class: 'muted', id: id + '-hint' }, hint) : null);

  function randomKey() {
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function readOnlyNote(what) {
    return el('p', { class: 'note' }, 'This session\'s token is ' + (SCOPE === 'read' ? 'read-only' : SCOPE + '-only') + ': it cannot ' + what + '.');
  }

  // ---- Overview -------------------------------------------------------

  async function overview() {
    const modemsBox = el('div', { class: 'grid', id: 'modems' });
    const queueBox = el('div', { id: 'queue' });
    const rateBox = el('div', { id: 'rate' });
    const modemPick = el('select', { id: 'chart-modem' }, el('option', { value: '' }, 'All modems'));
    const hoursBox = el('div', { class: 'chart', id: 'chart-hours' });
    const daysBox = el('div', { class: 'chart', id: 'chart-days' });
    const spendBox = el('div', { id: 'spend' });
    // Hidden until a price table says what a message costs.
    const spendCard = el('section', { class: 'card', id: 'spend-card', 'aria-labelledby': 'h-spend', hidden: true },
      el('h2', { id: 'h-spend' }, 'Spend'), spendBox);
    const feed = el('ul', { class: 'feed', id: 'feed' }, el('li', { class: 'muted' }, 'Waiting for events…'));
    let stats = null, modems = [];
    setView(
      el('section', { 'aria-labelledby': 'h-modems' }, el('h2', { id: 'h-modems' }, 'Modems'), modemsBox),
      el('div', { class: 'grid' },
        el('section', { class: 'card', 'aria-labelledby': 'h-queue' }, el('h2', { id: 'h-queue' }, 'Queue'), queueBox),
        el('section', { class: 'card', 'aria-labelledby': 'h-rate' }, el('h2', { id: 'h-rate' }, 'Delivery rate'), rateBox),
        spendCard,
        el('section', { class: 'card', 'aria-labelledby': 'h-feed' }, el('h2', { id: 'h-feed' }, 'Live activity'), feed)),
      el('section', { class: 'card', 'aria-labelledby': 'h-charts' },
        el('h2', { id: 'h-charts' }, 'Messages'),
        el('div', { class: 'row' }, field('chart-modem', 'Modem', modemPick)),
        legend(),
        el('h3', {}, 'Per hour, last 48 hours'), hoursBox,
        el('h3', {}, 'Per day, last 30 days'), daysBox));
    modemPick.addEventListener('change', () => drawCharts());

    function drawCharts() {
      if (!stats) return;
      const m = modemPick.value;
      hoursBox.replaceChildren(chart(stats.hours, m, (d) => pad(d.getHours()) + 'h', 'hour'));
      daysBox.replaceChildren(chart(stats.days, m, (d) => pad(d.getDate()) + '/' + pad(d.getMonth() + 1), 'day'));
    }

    async function refresh() {
      const [ms, st] = await Promise.allSettled([api('GET', '/v1/modems'), api('GET', '/ui/api/stats')]);
      if (ms.status === 'fulfilled') {
        modems = ms.value.modems || [];
        modemsBox.replaceChildren(...(modems.length ? modems.map((m) => modemCard(m, st.value)) : [el('p', { class: 'muted' }, 'No modems yet.')]));
        const keep = modemPick.value;
        modemPick.replaceChildren(el('option', { value: '' }, 'All modems'), ...modems.map((m) => el('option', { value: m.id }, m.id)));
        modemPick.value = keep;
      } else modemsBox.replaceChildren(fail(ms.reason));
      if (st.status === 'fulfilled') {
        stats = st.value;
        if (ms.status === 'fulfilled') modemsBox.replaceChildren(...modems.map((m) => modemCard(m, stats)));
        queueBox.replaceChildren(queueTable(stats.queue));
        rateBox.replaceChildren(rate(stats));
        drawCharts();
      } else queueBox.replaceChildren(fail(st.reason));
      if (canRead) await spend(spendCard, spendBox).catch((e) => { spendCard.hidden = false; spendBox.replaceChildren(fail(e)); });
    }
    await refresh();
    const later = debounce(() => refresh().catch(() => {}), 400);
    let first = true;
    events((name, ev) => {
      if (first) { feed.replaceChildren(); first = false; }
      const p = ev.payload || {};
      feed.prepend(el('li', {}, el('time', {}, fmtTime(new Date().toISOString()).slice(11)), ' ', name.replace('sms:', ''), ' · ',
        p.phoneNumber || '', ev.deviceId ? ' · ' + ev.deviceId : ''));
      while (feed.children.length > 30) feed.lastChild.remove();
      later();
    });
  }

  function modemCard(m, stats) {
    const today = (stats && stats.today && stats.today[m.id]) || {};
    const sim = m.number || (m.iccid ? '…' + m.iccid.slice(-6) : '');
    return el('article', { class: 'card', 'data-modem': m.id, 'aria-labelledby': 'm-' + m.id },
      el('h2', { id: 'm-' + m.id }, el('a', { href: '/ui/modems/' + encodeURIComponent(m.id) }, m.id), ' ', badge(m.state)),
      dl([
        ['Signal', bars(m.signal_bars, m.signal_dbm)],
        ['Operator', m.operator || '—'],
        ['Network', (m.registration || 'unknown') + (m.roaming ? ' (roaming)' : '')],
        ['SIM', sim || '—'],
        ['Gateway', m.node ? m.node + (m.node_stopped_at ? ' (stopped)' : m.node_alive === false ? ' (not answering)' : '') : null],
        ['Today', (today.delivered || 0) + (today.sent || 0) + ' sent · ' + (today.failed || 0) + ' failed'],
        ['Since start', m.counters.sent + ' sent · ' + m.counters.failed + ' failed · ' + m.counters.received + ' received'],
        ['Last error', m.last_error ? m.last_error : null],
      ]));
  }

  // spend fills the overview's spend card: today and this month (UTC
  // days, as the spend report keys them), one line per currency.
  async function spend(card, box) {
    const now = new Date();
    const month = now.getUTCFullYear() + '-' + pad(now.getUTCMonth() + 1) + '-01T00:00:00Z';
    const today = now.toISOString().slice(0, 10);
    const [pr, sp] = await Promise.all([api('GET', '/v1/prices'), api('GET', '/v1/spend?by=day&since=' + encodeURIComponent(month))]);
    const totals = sp.totals || [];
    if (!(pr.prices || []).length && !totals.length) { card.hidden = true; return; }
    card.hidden = false;
    const line = (id, rows, what) => {
      const list = rows.length ? rows : [{ cost: '0.00', currency: pr.currency || '', messages: 0, parts: 0 }];
      return list.map((r, i) => el('p', {},
        el('span', { class: 'big', id: i ? null : id, 'data-currency': r.currency }, r.cost + ' ' + r.currency),
        ' ' + what + ' (' + r.messages + ' messages, ' + r.parts + ' parts)'));
    };
    box.replaceChildren(
      ...line('spend-today', (sp.rows || []).filter((r) => r.key === today), 'today'),
      ...line('spend-month', totals, 'this month'),
      el('p', { class: 'muted' }, 'At the price in force when each message was sent; UTC days.'));
  }

  function queueTable(q) {
    const rows = STATES.filter((k) => k in (q || {})).map((k) => [badge(k), String(q[k])]);
    return table(['State', 'Messages'], rows, 'Messages by state');
  }

  function sum(bucket, modem) {
    const out = { delivered: 0, sent: 0, failed: 0, pending: 0, cancelled: 0 };
    for (const [id, c] of Object.entries(bucket.modems || {})) {
      if (modem && id !== modem) continue;
      for (const k of Object.keys(out)) out[k] += c[k] || 0;
    }
    return out;
  }

  function rate(stats) {
    const total = (list) => list.reduce((a, b) => { const s = sum(b); a.d += s.delivered; a.n += s.delivered + s.sent + s.failed; return a; }, { d: 0, n: 0 });
    const pct = (t) => t.n ? (100 * t.d / t.n).toFixed(1) + ' %' : '—';
    const day = total(stats.hours.slice(-24)), month = total(stats.days);
    return el('div', {},
      el('p', {}, el('span', { class: 'big', id: 'rate-24h' }, pct(day)), ' last 24 h (' + day.d + ' of ' + day.n + ' finished)'),
      el('p', {}, el('span', { class: 'big' }, pct(month)), ' last 30 days (' + month.d + ' of ' + month.n + ')'),
      stats.partial ? el('p', { class: 'muted' }, 'Only the most recent messages are counted.') : null);
  }

  function legend() {
    return el('div', { class: 'legend', 'aria-hidden': 'true' },
      el('span', { class: 'l-delivered' }, 'delivered'), el('span', { class: 'l-sent' }, 'sent, no report yet'),
      el('span', { class: 'l-failed' }, 'failed (hatched)'));
  }

  // chart draws stacked bars (delivered, sent, failed hatched) with a
  // table of the same numbers for screen readers and a title per bar.
  function chart(buckets, modem, label, unit) {
    const W = 720, H = 160, top = 10, bottom = 20, n = buckets.length, bw = W / n;
    const sums = buckets.map((b) => sum(b, modem));
    const max = Math.max(1, ...sums.map((s) => s.delivered + s.sent + s.failed));
    const svg = el('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Messages per ' + unit + '; the same numbers are in the table below' });
    const defs = el('svg:defs', {}, el('svg:pattern', { id: 'hatch-' + unit, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      el('svg:rect', { width: 6, height: 6, fill: '#f3b8b3' }), el('svg:rect', { width: 3, height: 6, fill: '#b3261e' })));
    svg.append(defs);
    svg.append(el('svg:line', { x1: 0, x2: W, y1: H - bottom, y2: H - bottom, stroke: '#8a929c' }));
    svg.append(el('svg:text', { x: 2, y: top + 2, 'font-size': 10, fill: '#4f5761' }, String(max)));
    const rows = [];
    sums.forEach((s, i) => {
      const x = i * bw + 1, d = new Date(buckets[i].start);
      let y = H - bottom;
      const g = el('svg:g', {}, el('svg:title', {}, fmtTime(buckets[i].start).slice(0, unit === 'hour' ? 13 : 10) + ': ' + s.delivered + ' delivered, ' + s.sent + ' sent, ' + s.failed + ' failed'));
      for (const [k, fill] of [['delivered', '#1b6e3a'], ['sent', '#7fb0e0'], ['failed', 'url(#hatch-' + unit + ')']]) {
        const h = (H - top - bottom) * s[k] / max;
        if (h > 0) { y -= h; g.append(el('svg:rect', { x, y, width: Math.max(1, bw - 2), height: h, fill })); }
      }
      svg.append(g);
      const every = unit === 'hour' ? 6 : 5;
      if (i % every === 0) svg.append(el('svg:text', { x, y: H - 5, 'font-size': 10, fill: '#4f5761' }, label(d)));
      if (s.delivered + s.sent + s.failed + s.pending) rows.push([fmtTime(buckets[i].start).slice(0, unit === 'hour' ? 16 : 10), s.delivered, s.sent, s.failed, s.pending]);
    });
    return el('div', {}, svg, el('details', {}, el('summary', {}, 'Show as a table'),
      rows.length ? table(['Start', 'Delivered', 'Sent', 'Failed', 'Pending'], rows, 'Messages per ' + unit) : el('p', { class: 'muted' }, 'No messages.')));
  }

  // ---- Messages -------------------------------------------------------

  const STATES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'cancelled', 'uncertain'];

  async function messages() {
    const q = new URLSearchParams(location.search);
    const state = el('select', { id: 'f-state', name: 'state' }, el('option', { value: '' }, 'Any'), STATES.map((s) => el('option', { value: s }, s)));
    state.value = q.get('state') || '';
    const to = el('input', { id: 'f-to', name: 'to', type: 'search', value: q.get('to') || '', placeholder: '+15550100001', inputmode: 'tel' });
    const text = el('input', { id: 'f-text', name: 'text', type: 'search', value: q.get('text') || '' });
    const modem = el('input', { id: 'f-modem', name: 'modem', type: 'search', value: q.get('modem') || '' });
    const since = el('input', { id: 'f-since', name: 'since', type: 'datetime-local', value: q.get('since') || '' });
    const until = el('input', { id: 'f-until', name: 'until', type: 'datetime-local', value: q.get('until') || '' });
    const out = el('div', { id: 'list' });
    const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
    const form = el('form', { class: 'card', role: 'search', 'aria-label': 'Filter messages' },
      el('div', { class: 'row' }, field('f-state', 'State', state), field('f-to', 'Number', to), field('f-text', 'Text contains', text),
        field('f-modem', 'Modem', modem), field('f-since', 'From', since), field('f-until', 'Until', until)),
      el('button', { type: 'submit' }, 'Filter'));
    setView(form, el('section', { class: 'card', 'aria-label': 'Messages' }, out, more));
    let cursor = '', rows = [];
    const body = el('tbody');
    async function load(reset) {
      const p = new URLSearchParams({ limit: '100' });
      if (state.value) p.set('state', state.value);
      if (to.value.trim()) p.set('to', to.value.trim());
      if (since.value) p.set('since', new Date(since.value).toISOString());
      if (until.value) p.set('until', new Date(until.value).toISOString());
      if (!reset && cursor) p.set('cursor', cursor);
      try {
        const r = await api('GET', '/v1/messages?' + p);
        if (reset) rows = [];
        const t = text.value.trim().toLowerCase(), md = modem.value.trim();
        rows = rows.concat(r.messages.filter((m) => (!t || m.text.toLowerCase().includes(t)) && (!md || m.modem === md || m.sent_by === md)));
        cursor = r.next_cursor || '';
        more.hidden = !cursor;
        body.replaceChildren(...rows.map((m) => el('tr', { 'data-id': m.id },
          el('td', {}, el('a', { href: '/ui/messages/' + encodeURIComponent(m.id) }, m.id)),
          el('td', {}, m.to), el('td', {}, badge(m.state)), el('td', { class: 'hide-sm' }, String(m.part_count)),
          el('td', { class: 'hide-sm' }, m.sent_by || m.modem || '—'), el('td', { class: 'hide-sm' }, timeEl(m.created_at)),
          el('td', {}, m.text.length > 60 ? m.text.slice(0, 60) + '…' : m.text))));
        out.replaceChildren(rows.length ? el('div', { class: 'scroll' }, el('table', {},
          el('caption', { class: 'visually-hidden' }, 'Messages, newest first'),
          el('thead', {}, el('tr', {}, ['Id', 'To', 'State', 'Parts', 'Modem', 'Created', 'Text'].map((h, i) => el('th', { scope: 'col', class: i >= 3 && i <= 5 ? 'hide-sm' : null }, h)))), body))
          : el('p', { class: 'muted' }, 'No messages match.'));
      } catch (e) { out.replaceChildren(fail(e)); }
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const u = new URLSearchParams();
      for (const i of [state, to, text, modem, since, until]) if (i.value) u.set(i.name, i.value);
      history.replaceState(null, '', '/ui/messages' + (u.toString() ? '?' + u : ''));
      load(true);
    });
    more.addEventListener('click', () => load(false));
    await load(true);
    events(debounce(() => { if (!cursor) load(true); }, 500));
  }

  async function message() {
    const path = '/v1/messages/' + encodeURIComponent(ID);
    const box = el('div');
    setView(box);
    document.getElementById('title').textContent = 'Message ' + ID;
    async function load() {
      let m;
      try { m = await api('GET', path); } catch (e) { box.replaceChildren(fail(e)); return; }
      const acts = el('div', { class: 'actions' });
      if (m.state === 'queued' || m.state === 'sending') {
        const b = el('button', { type: 'button', class: 'danger', id: 'cancel', disabled: !full }, 'Cancel');
        b.addEventListener('click', async () => {
          try { await api('DELETE', path); say('Message ' + ID + ' cancelled'); load(); } catch (e) { say(e.message); acts.append(fail(e)); }
        });
        acts.append(b);
        if (!full) acts.append(el('span', { class: 'muted' }, 'Cancelling needs a token of full scope.'));
      }
      if (['failed', 'expired', 'uncertain'].includes(m.state)) {
        const b = el('button', { type: 'button', id: 'retry', disabled: !canSend }, 'Retry');
        b.addEventListener('click', async () => {
          try { await api('POST', path + '/retry'); say('Message ' + ID + ' queued again'); load(); } catch (e) { acts.append(fail(e)); }
        });
        acts.append(b);
      }
      box.replaceChildren(
        el('section', { class: 'card' }, el('h2', {}, 'To ', m.to, ' ', badge(m.state)),
          el('p', { class: 'bubble out', id: 'msg-text' }, m.text),
          dl([['Id', m.id], ['Batch', m.batch], ['Coding', m.coding], ['Parts', String(m.part_count)], ['Modem', m.sent_by || m.modem || 'any'],
            ['Tags', (m.tags || []).join(', ')], ['Created', timeEl(m.created_at)], ['Scheduled', m.send_at ? timeEl(m.send_at) : null],
            ['Expires', m.expires_at ? timeEl(m.expires_at) : null], ['Sent', m.sent_at ? timeEl(m.sent_at) : null],
            ['Delivered', m.delivered_at ? timeEl(m.delivered_at) : null], ['Delivery report', m.delivery_report ? 'requested' : 'not requested'],
            ['Error', m.error ? m.error + (m.error_code ? ' (code ' + m.error_code + ')' : '') : null]]),
          acts),
        el('section', { class: 'card' }, el('h2', {}, 'Parts'), (m.parts || []).length ? table(['#', 'Status', 'Reference', 'Sent', 'Report'],
          m.parts.map((p) => [String(p.seq), badge(p.status), p.mr !== undefined ? String(p.mr) : '—', timeEl(p.sent_at),
            p.report_meaning ? p.report_meaning + ' ' + fmtTime(p.report_at) : '—']), 'Parts') : el('p', { class: 'muted' }, 'Not sent yet.')),
        el('section', { class: 'card' }, el('h2', {}, 'Attempts'), (m.attempts || []).length ? table(['When', 'Modem', 'Outcome', 'Error'],
          m.attempts.map((a) => [timeEl(a.at), a.modem, a.outcome || 'in progress', a.error ? a.error + (a.error_code ? ' (' + a.error_code + ')' : '') : '—']), 'Attempts')
          : el('p', { class: 'muted' }, 'No attempt yet.')));
    }
    await load();
    events((name, ev) => { if (ev.payload && ev.payload.messageId === ID) load(); });
  }

  // ---- Send -----------------------------------------------------------

  async function send() {
    const to = el('textarea', { id: 's-to', name: 'to', rows: 2, required: true, 'aria-describedby': 's-to-hint', autocomplete: 'off' });
    const text = el('textarea', { id: 's-text', name: 'text', required: true, 'aria-describedby': 's-count' });
    const counter = el('p', { class: 'counter', id: 's-count', 'aria-live': 'polite' }, '0 characters · GSM 7-bit · 0 parts');
    const when = el('input', { id: 's-when', name: 'send_at', type: 'datetime-local' });
    const modem = el('select', { id: 's-modem', name: 'modem' }, el('option', { value: '' }, 'Any modem'));
    const tags = el('input', { id: 's-tags', name: 'tags', type: 'text', 'aria-describedby': 's-tags-hint' });
    const report = el('input', { id: 's-report', name: 'delivery_report', type: 'checkbox', checked: true });
    const category = el('select', { id: 's-category', name: 'category', 'aria-describedby': 's-category-hint' },
      el('option', { value: 'transactional' }, 'Transactional'), el('option', { value: 'marketing' }, 'Marketing'));
    const submit = el('button', { type: 'submit', id: 's-submit' }, 'Send');
    const result = el('section', { class: 'card', id: 'result', hidden: true, 'aria-live': 'polite' });
    const fs = el('fieldset', { disabled: !canSend, class: 'plain' },
      el('legend', { class: 'visually-hidden' }, 'New message'),
      field('s-to', 'Recipients', to, 'International numbers (+15550100002), separated by commas or new lines.'),
      field('s-text', 'Text', text), counter,
      el('div', { class: 'row' }, field('s-when', 'Send at (optional)', when), field('s-modem', 'Modem', modem),
        field('s-tags', 'Or a modem with tags', tags, 'Comma-separated; used when no modem is chosen.'),
        field('s-category', 'Category', category, 'Marketing is not sent to numbers that opted out.')),
      el('div', {}, el('label', { for: 's-report', class: 'check' }, report, ' Ask for a delivery report')),
      submit);
    const form = el('form', { class: 'card', 'aria-label': 'Send a message' }, fs);
    setView(canSend ? null : readOnlyNote('send messages'), form, result);
    if (canRead) {
      api('GET', '/v1/modems').then((r) => { for (const m of r.modems || []) modem.append(el('option', { value: m.id }, m.id + ' (' + m.state + ')')); }).catch(() => {});
    }
    const recount = debounce(async () => {
      try {
        const c = await api('POST', '/ui/api/count', text.value);
        counter.replaceChildren(el('span', { id: 's-chars' }, c.chars + ' characters'), ' · ',
          el('span', { id: 's-coding' }, c.coding === 'ucs2' ? 'UCS-2 (Unicode)' : 'GSM 7-bit'), ' · ',
          el('strong', { id: 's-parts', 'data-parts': c.parts, 'data-coding': c.coding }, c.parts + (c.parts === 1 ? ' part' : ' parts')),
          ' · ' + c.remaining + ' ' + (c.coding === 'ucs2' ? 'units' : 'septets') + ' left in the last part (' + c.per_part + ' per part)');
      } catch (e) { counter.replaceChildren(fail(e)); }
    }, 120);
    text.addEventListener('input', recount);
    const tracked = new Map();
    async function track() {
      const rows = [];
      for (const id of tracked.keys()) {
        try { tracked.set(id, await api('GET', '/v1/messages/' + encodeURIComponent(id))); } catch (_) { /* keep the last */ }
        const m = tracked.get(id);
        rows.push([el('a', { href: '/ui/messages/' + encodeURIComponent(id) }, id), m.to, badge(m.state), String(m.part_count), m.sent_by || m.modem || '—']);
      }
      result.replaceChildren(el('h2', {}, 'Result'), table(['Id', 'To', 'State', 'Parts', 'Modem'], rows, 'Sent messages'));
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { to: to.value.split(/[\s,;]+/).filter(Boolean), text: text.value, delivery_report: report.checked, category: category.value };
      if (when.value) body.send_at = new Date(when.value).toISOString();
      if (modem.value) body.modem = modem.value;
      else if (tags.value.trim()) body.tags = tags.value.split(',').map((s) => s.trim()).filter(Boolean);
      submit.disabled = true;
      try {
        const r = await api('POST', '/v1/messages', body, { 'Idempotency-Key': randomKey() });
        tracked.clear();
        const skipped = r.messages.filter((m) => !m.id);
        for (const m of r.messages) if (m.id) tracked.set(m.id, Object.assign({ part_count: m.parts }, m));
        result.hidden = false;
        say('Accepted: ' + r.messages.length + ' message(s)');
        await track();
        if (skipped.length) result.append(el('p', { class: 'note' }, 'Not sent: ', skipped.map((m) => m.to + ' (' + (m.reason || m.state) + ')').join(', ')));
      } catch (err) {
        result.hidden = false;
        result.replaceChildren(el('h2', {}, 'Not sent'), fail(err));
      } finally { submit.disabled = false; }
    });
    events(debounce(() => { if (tracked.size) track(); }, 200));
  }

  // ---- Inbox ----------------------------------------------------------

  // Threads come from /v1/conversations (unread counts kept by the
  // gateway, marked read when a thread is opened); a daemon without them
  // answers 503, and the inbox grouped here stands in, with read marks
  // kept in this browser.
  const readKey = (n) => 'smsgw.read.' + n;
  const lastRead = (n) => { try { return localStorage.getItem(readKey(n)) || ''; } catch (_) { return ''; } };
  const markRead = (n, t) => { try { localStorage.setItem(readKey(n), t); } catch (_) { /* private mode */ } };
  const noConversations = (e) => e instanceof APIError && e.status === 503;
  const clipText = (t, n) => (t.length > n ? t.slice(0, n) + '…' : t);

  async function threadsFromInbox() {
    const r = await api('GET', '/v1/inbox?limit=500');
    const by = new Map();
    for (const m of r.messages) {
      const t = by.get(m.from) || { number: m.from, at: m.received_at, text: m.text, dir: 'in', unread: 0 };
      if (m.received_at > lastRead(m.from)) t.unread++;
      if (m.received_at > t.at) { t.at = m.received_at; t.text = m.text; }
      by.set(m.from, t);
    }
    return [...by.values()].sort((a, b) => (a.at < b.at ? 1 : -1));
  }

  async function inbox() {
    const number = new URLSearchParams(location.search).get('number');
    if (number) return thread(number);
    const box = el('div', { class: 'card threads', id: 'threads' });
    setView(el('p', { class: 'muted' }, 'Conversations by number, the most recent first; unread ones are marked “new” and shown in bold.'), box);
    async function load() {
      let list;
      try {
        const r = await api('GET', '/v1/conversations?limit=200');
        list = r.conversations.map((c) => ({ number: c.number, at: c.last_message.at, text: c.last_message.text, dir: c.last_message.direction, unread: c.unread, optedOut: c.opted_out }));
      } catch (e) {
        if (!noConversations(e)) { box.replaceChildren(fail(e)); return; }
        try { list = await threadsFromInbox(); } catch (e2) { box.replaceChildren(fail(e2)); return; }
      }
      box.replaceChildren(...(list.length ? list.map((t) => el('a', { href: '/ui/inbox?number=' + encodeURIComponent(t.number), class: t.unread ? 'unread' : null, 'data-number': t.number },
        el('span', {}, t.number, ' ', t.unread ? el('span', { class: 'badge s-info', 'data-icon': '●' }, t.unread + ' new') : '', ' ', t.optedOut ? el('span', { class: 'badge s-muted', 'data-icon': '⊘' }, 'opted out') : '', el('br'),
          el('span', { class: 'muted' }, t.dir === 'out' ? 'You: ' : '', clipText(t.text, 70))),
        el('span', { class: 'muted' }, fmtTime(t.at)))) : [el('p', { class: 'muted' }, 'Nothing received yet.')]));
    }
    await load();
    events((name) => { if (name === 'sms:received' || name === 'sms:sent') load(); });
  }

  async function threadItems(number) {
    const n = encodeURIComponent(number);
    try {
      const r = await api('GET', '/v1/conversations/' + n + '?limit=200');
      return { conv: true, items: r.messages.map((m) => ({ in: m.direction === 'in', t: m.at, text: m.text, modem: m.modem, state: m.state })) };
    } catch (e) {
      if (!noConversations(e)) throw e;
    }
    const [ins, outs] = await Promise.all([api('GET', '/v1/inbox?limit=200&from=' + n), api('GET', '/v1/messages?limit=200&to=' + n)]);
    const items = ins.messages.map((m) => ({ in: true, t: m.received_at, text: m.text, modem: m.modem }))
      .concat(outs.messages.map((m) => ({ in: false, t: m.created_at, text: m.text, modem: m.sent_by || m.modem, state: m.state })));
    items.sort((a, b) => (a.t < b.t ? -1 : 1));
    const newest = ins.messages.reduce((a, m) => (m.received_at > a ? m.received_at : a), '');
    if (newest) markRead(number, newest);
    return { conv: false, items };
  }

  async function thread(number) {
    document.getElementById('title').textContent = 'Conversation with ' + number;
    const box = el('div', { id: 'thread', class: 'card' });
    const text = el('textarea', { id: 'r-text', name: 'text', required: true, rows: 3 });
    const form = el('form', { class: 'card', 'aria-label': 'Reply' }, el('fieldset', { class: 'plain', disabled: !canSend },
      field('r-text', 'Reply to ' + number, text), el('button', { type: 'submit', id: 'r-submit' }, 'Send reply')));
    setView(el('p', {}, el('a', { href: '/ui/inbox' }, '← All conversations')), box, canSend ? form : readOnlyNote('reply'));
    let conv = false;
    async function load() {
      let r;
      try { r = await threadItems(number); } catch (e) { box.replaceChildren(fail(e)); return; }
      conv = r.conv;
      box.replaceChildren(...(r.items.length ? r.items.map((i) => el('div', { class: 'bubble ' + (i.in ? 'in' : 'out') },
        el('span', { class: 'visually-hidden' }, i.in ? 'Received: ' : 'Sent: '), i.text,
        el('small', {}, (i.in ? 'received ' : 'sent ') + fmtTime(i.t), i.modem ? ' · ' + i.modem : '', i.in ? '' : ' ', i.in ? '' : badge(i.state))))
        : [el('p', { class: 'muted' }, 'No messages with this number.')]));
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        // A reply through the conversation goes out on the modem that last
        // received from the number.
        if (conv) await api('POST', '/v1/conversations/' + encodeURIComponent(number), { text: text.value });
        else await api('POST', '/v1/messages', { to: [number], text: text.value }, { 'Idempotency-Key': randomKey() });
        text.value = '';
        say('Reply queued');
        load();
      } catch (err) { form.append(fail(err)); }
    });
    await load();
    events(debounce(load, 300));
  }

  // ---- Opt-outs -------------------------------------------------------

  async function optouts() {
    const search = el('input', { id: 'o-search', type: 'search', inputmode: 'tel' });
    const box = el('div', { id: 'optouts' });
    const number = el('input', { id: 'o-number', name: 'number', type: 'text', inputmode: 'tel', required: true, autocomplete: 'off' });
    const note = el('input', { id: 'o-note', name: 'note', type: 'text' });
    const add = el('form', { class: 'card', 'aria-labelledby': 'h-o-add' }, el('h2', { id: 'h-o-add' }, 'Add a number'),
      el('fieldset', { class: 'plain', disabled: !canSend }, el('div', { class: 'row' }, field('o-number', 'Number', number),
        field('o-note', 'Note (kept as evidence)', note)), el('button', { type: 'submit', id: 'o-submit' }, 'Add to the opt-out list')));
    setView(el('p', { class: 'muted' }, 'Numbers that asked for no marketing messages (STOP) or were added here. Marketing sends to them are refused; removing one records an opt-in.'),
      el('section', { class: 'card', 'aria-label': 'Opt-out list' }, field('o-search', 'Search numbers', search), box), add);
    let list = [];
    function draw() {
      const q = search.value.replace(/[^0-9+]/g, '');
      const rows = list.filter((o) => !q || o.number.includes(q));
      box.replaceChildren(rows.length ? table(['Number', 'Since', 'Source', ''], rows.map((o) => [o.number, timeEl(o.at), o.source || '—',
        full ? el('button', { type: 'button', class: 'danger', 'data-remove': o.number, onclick: () => remove(o.number) }, 'Remove') : '']), 'Opted-out numbers')
        : el('p', { class: 'muted' }, list.length ? 'No number matches.' : 'No number has opted out.'));
    }
    async function load() {
      try {
        list = [];
        let cursor = '';
        do {
          const r = await api('GET', '/v1/optouts?limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
          list = list.concat(r.optouts);
          cursor = r.next_cursor || '';
        } while (cursor && list.length < 20000);
        draw();
      } catch (e) { box.replaceChildren(fail(e)); }
    }
    async function remove(n) {
      try { await api('DELETE', '/v1/optouts/' + encodeURIComponent(n)); say(n + ' removed from the opt-out list'); load(); } catch (e) { say(e.message); }
    }
    search.addEventListener('input', draw);
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { number: number.value.trim() };
      if (note.value.trim()) body.evidence = { note: note.value.trim() };
      try { await api('POST', '/v1/optouts', body); number.value = ''; note.value = ''; say('Added'); load(); } catch (err) { add.append(fail(err)); }
    });
    await load();
  }

  // ---- Rules ----------------------------------------------------------

  const MATCHES = [['first_word', 'First word is'], ['text', 'Whole text is'], ['regex', 'Regular expression'], ['from', 'Sender is'], ['modem', 'Received on modem'], ['any', 'Every message']];
  const ACTIONS = [['reply', 'Reply to the sender'], ['forward', 'Forward to a number']];

  function describeAction(a) {
    const d = { reply: 'reply “' + (a.text || '') + '”', forward: 'forward to ' + (a.to || '') + (a.text ? ' as “' + a.text + '”' : ''),
      webhook: 'post to a webhook', exec: 'run ' + (a.argv || [])[0], tag: 'tag ' + (a.tag || '') };
    return d[a.type] || a.type;
  }

  async function rulesPage() {
    const box = el('div', { id: 'rules' });
    const name = el('input', { id: 'k-name', type: 'text' });
    const mtype = el('select', { id: 'k-match' }, MATCHES.map(([v, l]) => el('option', { value: v }, l)));
    const mval = el('input', { id: 'k-value', type: 'text', placeholder: 'HOURS' });
    const atype = el('select', { id: 'k-action' }, ACTIONS.map(([v, l]) => el('option', { value: v }, l)));
    const atext = el('input', { id: 'k-text', type: 'text', 'aria-describedby': 'k-text-hint' });
    const ato = el('input', { id: 'k-to', type: 'text', inputmode: 'tel' });
    const then = el('select', { id: 'k-then' }, el('option', { value: 'stop' }, 'Stop at this rule'), el('option', { value: 'continue' }, 'Go on to later rules'));
    const add = el('form', { class: 'card', 'aria-labelledby': 'h-k-add' }, el('h2', { id: 'h-k-add' }, 'Add a rule'),
      el('fieldset', { class: 'plain', disabled: !full },
        el('div', { class: 'row' }, field('k-name', 'Name', name), field('k-match', 'When', mtype), field('k-value', 'Value', mval)),
        el('div', { class: 'row' }, field('k-action', 'Then', atype), field('k-text', 'Text', atext, 'A template: {{from}}, {{text}}.'), field('k-to', 'Forward to', ato), field('k-then', 'Afterwards', then)),
        el('button', { type: 'submit', id: 'k-submit' }, 'Add rule')),
      full ? null : el('p', { class: 'muted' }, 'Changing rules needs a token of full scope.'));
    const tfrom = el('input', { id: 't-from', type: 'text', value: '+15550100001' });
    const ttext = el('input', { id: 't-text', type: 'text' });
    const tout = el('div', { id: 't-result', 'aria-live': 'polite' });
    const test = el('form', { class: 'card', 'aria-labelledby': 'h-k-test' }, el('h2', { id: 'h-k-test' }, 'Test a message'),
      el('p', { class: 'muted' }, 'Shows what the rules would do with a received message; nothing is sent.'),
      el('div', { class: 'row' }, field('t-from', 'From', tfrom), field('t-text', 'Text', ttext)), el('button', { type: 'submit', id: 't-submit' }, 'Test'), tout);
    setView(el('section', { class: 'card', 'aria-label': 'Rules' }, box), add, test);
    async function load() {
      let r;
      try { r = await api('GET', '/v1/rules'); } catch (e) { box.replaceChildren(fail(e)); return; }
      box.replaceChildren(r.rules.length ? table(['Rule', 'When', 'Then', 'Source', ''], r.rules.map((k) => [
        (k.name || k.id) + (k.disabled ? ' (disabled)' : ''), k.match.type + (k.match.value ? ': ' + k.match.value : ''),
        k.actions.map(describeAction).join('; ') + (k.then === 'continue' ? ', then later rules' : ''), k.source,
        full && k.source !== 'config' ? el('button', { type: 'button', class: 'danger', 'data-delete': k.id, onclick: () => del(k.id) }, 'Delete') : '']), 'Keyword rules')
        : el('p', { class: 'muted' }, 'No rules yet.'));
    }
    async function del(id) {
      try { await api('DELETE', '/v1/rules/' + encodeURIComponent(id)); say('Rule deleted'); load(); } catch (e) { say(e.message); }
    }
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      const action = { type: atype.value, text: atext.value };
      if (atype.value === 'forward') action.to = ato.value.trim();
      const body = { name: name.value, match: { type: mtype.value, value: mval.value }, actions: [action], then: then.value };
      try { await api('POST', '/v1/rules', body); say('Rule added'); name.value = mval.value = atext.value = ato.value = ''; load(); } catch (err) { add.append(fail(err)); }
    });
    test.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const r = await api('POST', '/v1/rules/test', { from: tfrom.value, text: ttext.value });
        tout.replaceChildren(r.fired.length ? el('ul', {}, r.fired.map((f) => el('li', { 'data-fired': f.rule.id }, (f.rule.name || f.rule.id) + ': ',
          f.steps.map((st) => describeAction(st) + (st.to && st.type === 'reply' ? ' to ' + st.to : '') + (st.skipped ? ' (skipped: ' + st.skipped + ')' : '')).join('; '))))
          : el('p', { id: 't-none' }, 'No rule fires.'));
      } catch (err) { tout.replaceChildren(fail(err)); }
    });
    await load();
  }

  // ---- Modems ---------------------------------------------------------

  async function modemsPage() {
    let r;
    try { r = await api('GET', '/v1/modems'); } catch (e) { setView(fail(e)); return; }
    setView(el('div', { class: 'grid' }, (r.modems || []).map((m) => modemCard(m, null))));
  }

  async function modemPage() {
    document.getElementById('title').textContent = 'Modem ' + ID;
    const box = el('div');
    const code = el('input', { id: 'ussd-code', name: 'code', type: 'text', value: '*100#', inputmode: 'tel', pattern: '[0-9*#+]+' });
    const reply = el('p', { id: 'ussd-reply', 'aria-live': 'polite' });
    const ussd = el('form', { class: 'card', 'aria-labelledby': 'h-ussd' }, el('h2', { id: 'h-ussd' }, 'USSD'),
      el('fieldset', { disabled: !full, class: 'plain' }, field('ussd-code', 'Code (e.g. a balance check)', code), el('button', { type: 'submit' }, 'Send USSD')), reply);
    ussd.addEventListener('submit', async (e) => {
      e.preventDefault();
      reply.textContent = 'Waiting for the network…';
      try { const r = await api('POST', '/v1/modems/' + encodeURIComponent(ID) + '/ussd', { code: code.value }); reply.textContent = r.reply; } catch (err) { reply.replaceChildren(fail(err)); }
    });
    // Reset closes and reopens the modem as a fault recovery does; the
    // message on the wire finishes first, so it only costs a short pause.
    const resetOut = el('p', { id: 'reset-result', 'aria-live': 'polite' });
    const reset = el('form', { class: 'card', 'aria-labelledby': 'h-reset' }, el('h2', { id: 'h-reset' }, 'Reset'),
      el('p', {}, 'Close and reopen the modem, as after a fault. It is back in service once it reads ready again.'),
      el('fieldset', { disabled: !full, class: 'plain' }, el('button', { type: 'submit', id: 'reset-modem' }, 'Reset')), resetOut);
    reset.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!window.confirm('Reset modem ' + ID + '? It closes and reopens its port; sending pauses for a few seconds.')) return;
      resetOut.textContent = 'Resetting…';
      try { const r = await api('POST', '/v1/modems/' + encodeURIComponent(ID) + '/reset'); resetOut.textContent = 'Reset started; the modem is ' + r.state + '.'; load(); } catch (err) { resetOut.replaceChildren(fail(err)); }
    });
    setView(box, ussd, reset, full ? el('section', { class: 'card' }, el('h2', {}, 'AT trace'),
      el('p', {}, 'The modem\'s recent AT commands and answers (PIN redacted), for a bug report.'),
      el('a', { class: 'button secondary', href: '/ui/api/modems/' + encodeURIComponent(ID) + '/trace', download: 'at-trace-' + ID + '.log' }, 'Download AT trace')) : null);
    async function load() {
      let m;
      try { m = await api('GET', '/v1/modems/' + encodeURIComponent(ID)); } catch (e) { box.replaceChildren(fail(e)); return; }
      const codes = Object.entries(m.counters.failures_by_code || {});
      box.replaceChildren(
        el('section', { class: 'card' }, el('h2', {}, m.id, ' ', badge(m.state)), dl([
          ['Signal', bars(m.signal_bars, m.signal_dbm)], ['Operator', m.operator || '—'],
          ['Network', (m.registration || 'unknown') + (m.roaming ? ' (roaming)' : '')], ['Number', m.number], ['Port', m.port],
          ['Manufacturer', m.manufacturer], ['Model', m.model], ['Revision', m.revision], ['IMEI', m.imei], ['IMSI', m.imsi], ['ICCID', m.iccid],
          ['Tags', (m.tags || []).join(', ')], ['Seen since', m.since ? timeEl(m.since) : null], ['Last seen', m.last_seen ? timeEl(m.last_seen) : null],
          ['Since start', m.counters.sent + ' sent · ' + m.counters.failed + ' failed · ' + m.counters.received + ' received · ' + m.counters.reconnects + ' reconnects']])),
        el('section', { class: 'card', 'aria-labelledby': 'h-sig' }, el('h2', { id: 'h-sig' }, 'Signal history'), signalChart(m.signal_history || [])),
        el('section', { class: 'card' }, el('h2', {}, 'Recent errors'),
          m.last_error ? el('p', {}, m.last_error, ' ', m.last_error_at ? el('span', { class: 'muted' }, '(', timeEl(m.last_error_at), ')') : '') : el('p', { class: 'muted' }, 'No error since the daemon started.'),
          codes.length ? table(['Error code', 'Failed sends'], codes.map(([c, n]) => [c, String(n)]), 'Failures by error code') : null));
    }
    await load();
    events((name, ev) => { if (ev.deviceId === ID) load(); });
  }

  // signalChart draws the health checks' readings as a line (a gap where
  // the modem did not know its signal), with the numbers as a table.
  function signalChart(h) {
    const known = h.filter((x) => x.dbm !== null && x.dbm !== undefined);
    if (!known.length) return el('p', { class: 'muted', id: 'signal-chart' }, 'No reading yet: the health check reads the signal about once a minute.');
    const W = 720, H = 120, top = 10, bottom = 18, lo = -113, hi = -51;
    const t0 = new Date(h[0].at).getTime(), t1 = Math.max(t0 + 1, new Date(h[h.length - 1].at).getTime());
    const x = (s) => (W - 40) * (new Date(s.at).getTime() - t0) / (t1 - t0) + 36;
    const y = (d) => top + (H - top - bottom) * (hi - Math.max(lo, Math.min(hi, d))) / (hi - lo);
    const svg = el('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', id: 'signal-chart', 'data-samples': known.length,
      'aria-label': 'Signal strength over the last ' + h.length + ' readings; the same numbers are in the table below' });
    for (const d of [-73, -93, -109]) {
      svg.append(el('svg:line', { x1: 36, x2: W, y1: y(d), y2: y(d), stroke: '#d0d5db', 'stroke-dasharray': '3 3' }),
        el('svg:text', { x: 0, y: y(d) + 3, 'font-size': 10, fill: '#4f5761' }, String(d)));
    }
    let path = '', pen = false;
    for (const s of h) {
      if (s.dbm === null || s.dbm === undefined) { pen = false; continue; }
      path += (pen ? 'L' : 'M') + x(s).toFixed(1) + ' ' + y(s.dbm).toFixed(1);
      pen = true;
    }
    svg.append(el('svg:path', { d: path, fill: 'none', stroke: '#1f5fa8', 'stroke-width': 2 }));
    if (known.length === 1) svg.append(el('svg:circle', { cx: x(known[0]), cy: y(known[0].dbm), r: 3, fill: '#1f5fa8' }));
    svg.append(el('svg:text', { x: 36, y: H - 4, 'font-size': 10, fill: '#4f5761' }, fmtTime(h[0].at).slice(11, 16)),
      el('svg:text', { x: W - 30, y: H - 4, 'font-size': 10, fill: '#4f5761' }, fmtTime(h[h.length - 1].at).slice(11, 16)));
    return el('div', {}, svg, el('details', {}, el('summary', {}, 'Show as a table'),
      table(['Time', 'Signal (dBm)'], h.slice().reverse().map((s) => [timeEl(s.at), s.dbm === null ? 'unknown' : String(s.dbm)]), 'Signal readings')));
  }

  // ---- Contacts -------------------------------------------------------

  async function contactsPage() {
    const box = el('div', { id: 'contacts' });
    const groupsBox = el('div', { id: 'groups' });
    const qname = el('input', { id: 'c-name', type: 'search' });
    const qnum = el('input', { id: 'c-number', type: 'search', inputmode: 'tel' });
    const qgroup = el('select', { id: 'c-group' }, el('option', { value: '' }, 'Any group'));
    const more = el('button', { type: 'button', id: 'c-more', hidden: true }, 'More');
    const file = el('input', { id: 'i-file', type: 'file', accept: '.csv,text/csv' });
    const igroup = el('input', { id: 'i-group', type: 'text', 'aria-describedby': 'i-group-hint' });
    const iout = el('div', { id: 'i-result', 'aria-live': 'polite' });
    const imp = el('form', { class: 'card', 'aria-labelledby': 'h-i' }, el('h2', { id: 'h-i' }, 'Import a CSV'),
      el('p', { class: 'muted' }, 'A header row names the columns: number (required), name, and any other column becomes a field. A number already known is updated.'),
      el('fieldset', { class: 'plain', disabled: !full },
        el('div', { class: 'row' }, field('i-file', 'CSV file', file), field('i-group', 'Add every row to group', igroup, 'Optional; created when missing.')),
        el('button', { type: 'submit', id: 'i-submit' }, 'Import')),
      full ? null : el('p', { class: 'muted' }, 'Importing needs a token of full scope.'), iout);
    setView(
      el('section', { class: 'card', 'aria-labelledby': 'h-c' }, el('h2', { id: 'h-c' }, 'Contacts'),
        el('div', { class: 'row' }, field('c-name', 'Name', qname), field('c-number', 'Number', qnum), field('c-group', 'Group', qgroup)), box, more),
      el('section', { class: 'card', 'aria-labelledby': 'h-g' }, el('h2', { id: 'h-g' }, 'Groups'), groupsBox), imp);
    let cursor = '', rows = [];
    const row = (c) => [c.name || '—', c.number, (c.groups || []).join(', '), c.time_zone || ''];
    function draw() {
      box.replaceChildren(rows.length ? table(['Name', 'Number', 'Groups', 'Time zone'], rows.map(row), 'Contacts')
        : el('p', { class: 'muted' }, qname.value || qnum.value || qgroup.value ? 'No contact matches.' : 'No contacts yet.'));
      more.hidden = !cursor;
    }
    async function load(reset) {
      if (reset) { rows = []; cursor = ''; }
      const q = new URLSearchParams({ limit: '100' });
      if (qname.value.trim()) q.set('name', qname.value.trim());
      if (/[0-9]/.test(qnum.value)) q.set('number', qnum.value);
      if (qgroup.value) q.set('group', qgroup.value);
      if (cursor) q.set('cursor', cursor);
      try {
        const r = await api('GET', '/v1/contacts?' + q);
        rows = rows.concat(r.contacts || []);
        cursor = r.next_cursor || '';
        draw();
      } catch (e) { box.replaceChildren(fail(e)); more.hidden = true; }
    }
    async function groups() {
      try {
        const r = await api('GET', '/v1/groups');
        const gs = r.groups || [];
        const keep = qgroup.value;
        qgroup.replaceChildren(el('option', { value: '' }, 'Any group'), ...gs.map((g) => el('option', { value: g.name }, g.name)));
        qgroup.value = keep;
        groupsBox.replaceChildren(gs.length ? table(['Group', 'Contacts', 'Description'], gs.map((g) => [
          el('button', { type: 'button', class: 'link', 'data-group': g.name, onclick: () => { qgroup.value = g.name; load(true); } }, g.name),
          String(g.contacts), g.description || '']), 'Groups') : el('p', { class: 'muted' }, 'No groups yet.'));
      } catch (e) { groupsBox.replaceChildren(fail(e)); }
    }
    const later = debounce(() => load(true), 300);
    qname.addEventListener('input', later);
    qnum.addEventListener('input', later);
    qgroup.addEventListener('change', () => load(true));
    more.addEventListener('click', () => load(false));
    imp.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!file.files.length) { iout.replaceChildren(el('p', { class: 'alert', role: 'alert' }, 'Choose a CSV file first.')); return; }
      try {
        const text = await file.files[0].text();
        const g = igroup.value.trim();
        const r = await api('POST', '/v1/contacts/import' + (g ? '?group=' + encodeURIComponent(g) : ''), text, { 'Content-Type': 'text/csv' });
        iout.replaceChildren(el('p', { id: 'i-summary', 'data-bad': r.bad }, r.rows + ' rows: ' + r.created + ' created, ' + r.updated + ' updated, ' + r.bad + ' refused' + (r.group ? ' (group ' + r.group + ')' : '') + '.'),
          (r.errors || []).length ? table(['Line', 'Number', 'Why refused'], r.errors.map((x) => [String(x.line), x.number || '—', x.reason]), 'Rows refused') : null);
        say('Import done');
        groups();
        load(true);
      } catch (err) { iout.replaceChildren(fail(err)); }
    });
    await Promise.all([groups(), load(true)]);
  }

  // ---- Campaigns ------------------------------------------------------

  const DONE = ['sent', 'delivered', 'failed', 'expired', 'uncertain', 'suppressed', 'skipped', 'cancelled'];
  const doneOf = (n) => DONE.reduce((a, k) => a + (n[k] || 0), 0);
  const campBadge = (st) => el('span', { class: 'badge ' + ({ running: 's-info', finished: 's-ok', paused: 's-warn', cancelled: 's-muted', scheduled: 's-info' }[st] || 's-muted'), 'data-state': st }, st);
  const progress = (n) => {
    const total = n.recipients || 0, done = doneOf(n);
    return el('span', {}, el('progress', { max: String(Math.max(total, 1)), value: String(done), 'aria-label': done + ' of ' + total + ' recipients done' }), ' ' + done + ' / ' + total);
  };

  // campaignsPage lists the campaigns, newest first, with their state and
  // progress (each campaign's counts read from its own answer).
  async function campaignsPage() {
    const box = el('div', { id: 'campaigns' });
    setView(el('section', { class: 'card', 'aria-labelledby': 'h-cl' }, el('h2', { id: 'h-cl' }, 'Campaigns'), box));
    const load = async () => {
      const r = await api('GET', '/v1/campaigns?limit=50');
      const cs = await Promise.all((r.campaigns || []).map((c) => api('GET', '/v1/campaigns/' + encodeURIComponent(c.id)).catch(() => c)));
      box.replaceChildren(cs.length ? table(['Campaign', 'State', 'Progress', 'Cost', 'Created'], cs.map((c) => [
        el('a', { href: '/ui/campaigns/' + encodeURIComponent(c.id), 'data-campaign': c.id }, c.name),
        campBadge(c.state), progress(c.counts || {}),
        c.cost && c.cost.currency ? c.cost.actual + ' of ' + c.cost.quoted + ' ' + c.cost.currency : '—', timeEl(c.created)]), 'Campaigns')
        : el('p', { class: 'muted' }, 'No campaigns yet.'));
    };
    await load();
    const later = debounce(() => load().catch((e) => box.replaceChildren(fail(e))), 1000);
    events(later, ['sms:sent', 'sms:delivered', 'sms:failed', 'budget:paused', 'budget:resumed']);
  }

  // campaignPage shows one campaign: counts by state, cost quoted and
  // actual, its budget and why it is paused; Pause, Resume and Cancel go
  // through the API, whose answer (a refusal included) is shown.
  async function campaignPage() {
    const path = '/v1/campaigns/' + encodeURIComponent(ID);
    const box = el('div', { id: 'campaign' });
    const out = el('div', { id: 'cp-result', 'aria-live': 'polite' });
    const btn = (a, label) => el('button', { type: 'button', id: 'cp-' + a, 'data-action': a, disabled: !full, onclick: () => act(a) }, label);
    setView(box, el('section', { class: 'card', 'aria-labelledby': 'h-ca' }, el('h2', { id: 'h-ca' }, 'Actions'),
      el('div', { class: 'row' }, btn('pause', 'Pause'), btn('resume', 'Resume'), btn('cancel', 'Cancel')),
      full ? null : readOnlyNote('pause, resume or cancel campaigns'), out));
    const draw = (c) => {
      document.getElementById('title').textContent = 'Campaign ' + c.name;
      const n = c.counts || {};
      const cost = c.cost || {};
      box.replaceChildren(
        el('section', { class: 'card', 'aria-labelledby': 'h-cs' }, el('h2', { id: 'h-cs' }, 'State'),
          dl([['State', campBadge(c.state)], ['Why', c.reason || null], ['Progress', progress(n)],
            ['Cost', cost.currency ? el('span', { id: 'cp-cost' }, cost.actual + ' ' + cost.currency + ' actual of ' + cost.quoted + ' quoted (' + cost.sent_parts + ' of ' + cost.quoted_parts + ' parts)') : null],
            ['Budget', c.budget ? c.budget + (cost.currency ? ' ' + cost.currency : '') : null],
            ['Launched', c.launched_at ? timeEl(c.launched_at) : null], ['Finished', c.finished_at ? timeEl(c.finished_at) : null]])),
        el('section', { class: 'card', 'aria-labelledby': 'h-cc' }, el('h2', { id: 'h-cc' }, 'Recipients'),
          table(['State', 'Recipients'], Object.entries(n).filter(([k, v]) => k !== 'recipients' && v).map(([k, v]) => [k.replace('_', ' '), el('span', { 'data-count': k }, String(v))]), 'Recipients by state')));
    };
    const load = async () => draw(await api('GET', path));
    async function act(a) {
      try {
        draw(await api('POST', path + '/' + a));
        out.replaceChildren(el('p', { id: 'cp-done' }, 'Campaign ' + a + 'd.'));
        say('Campaign ' + a + 'd');
      } catch (e) { out.replaceChildren(fail(e)); }
    }
    await load();
    const later = debounce(() => load().catch((e) => out.replaceChildren(fail(e))), 1000);
    events(later, ['sms:sent', 'sms:delivered', 'sms:failed', 'budget:paused', 'budget:resumed']);
  }

  // ---- Spend and budgets ----------------------------------------------

  // spendPage shows each modem's tariff against its caps (spend today and
  // this month, free parts left, a cap holding it) and this month's spend
  // by modem; a full-scope session changes a modem's caps through
  // PUT /v1/tariffs/{modem}, with the API's own checks.
  async function spendPage() {
    const box = el('div', { id: 'budgets' });
    const byModem = el('div', { id: 'spend-modems' });
    const modem = el('select', { id: 'b-modem' });
    const day = el('input', { id: 'b-day', type: 'text', inputmode: 'decimal', placeholder: 'no cap' });
    const month = el('input', { id: 'b-month', type: 'text', inputmode: 'decimal', placeholder: 'no cap' });
    const free = el('input', { id: 'b-free', type: 'number', min: '0', step: '1', value: '0' });
    const out = el('div', { id: 'b-result', 'aria-live': 'polite' });
    const form = el('form', { class: 'card', 'aria-labelledby': 'h-b' }, el('h2', { id: 'h-b' }, 'Change a modem\'s caps'),
      el('p', { class: 'muted' }, 'Per UTC day and month, in the currency the modem is charged in; empty: no cap. Raising a cap that holds a modem lets it send again at once; its prices stay as they are.'),
      el('fieldset', { class: 'plain', disabled: !full },
        el('div', { class: 'row' }, field('b-modem', 'Modem', modem), field('b-day', 'Day budget', day), field('b-month', 'Month budget', month),
          field('b-free', 'Free parts per month', free)),
        el('button', { type: 'submit', id: 'b-submit' }, 'Save')),
      full ? null : readOnlyNote('change budgets'), out);
    setView(
      el('section', { class: 'card', 'aria-labelledby': 'h-t' }, el('h2', { id: 'h-t' }, 'Budgets and usage'), box),
      el('section', { class: 'card', 'aria-labelledby': 'h-sm' }, el('h2', { id: 'h-sm' }, 'This month by modem'), byModem),
      form);
    let tariffs = {};
    const cap = (spent, budget, cur) => {
      if (budget === null || budget === undefined) return spent + ' ' + cur;
      const pct = Number(budget) > 0 ? Math.min(100, Math.round(100 * Number(spent) / Number(budget))) : 100;
      return el('span', {}, spent + ' of ' + budget + ' ' + cur + ' ',
        el('meter', { min: '0', max: '100', value: String(pct), 'aria-label': pct + '% of the budget' }));
    };
    async function load() {
      const now = new Date();
      const since = now.getUTCFullYear() + '-' + pad(now.getUTCMonth() + 1) + '-01T00:00:00Z';
      const [t, m, sp] = await Promise.all([api('GET', '/v1/tariffs'), api('GET', '/v1/modems'), api('GET', '/v1/spend?by=modem&since=' + encodeURIComponent(since))]);
      tariffs = {};
      for (const x of t.tariffs || []) tariffs[x.modem] = x;
      const ids = [...new Set([...(m.modems || []).map((x) => x.id), ...Object.keys(tariffs)])].sort();
      const keep = modem.value;
      modem.replaceChildren(...ids.map((id) => el('option', { value: id }, id)));
      if (keep) modem.value = keep;
      fill();
      const rows = ids.map((id) => {
        const x = tariffs[id];
        const u = (x && x.usage) || null;
        const st = u && u.paused
          ? el('span', { class: 'badge s-bad', 'data-paused': u.paused, title: u.reason }, 'paused: ' + u.paused + ' budget')
          : el('span', { class: 'badge s-ok', 'data-paused': '' }, 'sending');
        if (!x) return [id, 'global prices', '—', '—', '—', st];
        return [id, x.prices.length ? x.prices.length + ' own prices (' + x.source + ')' : 'global prices (' + x.source + ')',
          cap(u.day_cost, x.budget_day, x.currency), cap(u.month_cost, x.budget_month, x.currency),
          x.free_parts_per_month ? u.free_parts_left + ' of ' + x.free_parts_per_month + ' left' : '—', st];
      });
      box.replaceChildren(ids.length ? table(['Modem', 'Tariff', 'Today', 'This month', 'Free parts', 'State'], rows, 'Budgets and usage')
        : el('p', { class: 'muted' }, 'No modems yet.'),
        ...(t.tariffs || []).filter((x) => x.usage && x.usage.paused).map((x) => el('p', { class: 'alert', 'data-reason': x.modem }, x.modem + ': ' + x.usage.reason + '. Its messages stay queued.')));
      const srows = sp.rows || [];
      byModem.replaceChildren(srows.length ? table(['Modem', 'Messages', 'Parts', 'Free parts', 'Cost'],
        srows.map((r) => [r.key || '—', String(r.messages), String(r.parts), String(r.free_parts || 0), r.cost + ' ' + r.currency]), 'Spend this month by modem')
        : el('p', { class: 'muted' }, 'Nothing sent this month.'));
    }
    function fill() {
      const x = tariffs[modem.value];
      day.value = x && x.budget_day !== null ? x.budget_day : '';
      month.value = x && x.budget_month !== null ? x.budget_month : '';
      free.value = x ? String(x.free_parts_per_month) : '0';
    }
    modem.addEventListener('change', fill);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const x = tariffs[modem.value];
      const body = { prices: x ? x.prices : [], free_parts_per_month: Number(free.value || 0),
        budget_day: day.value.trim() === '' ? null : day.value.trim(), budget_month: month.value.trim() === '' ? null : month.value.trim() };
      try {
        await api('PUT', '/v1/tariffs/' + encodeURIComponent(modem.value), body);
        out.replaceChildren(el('p', { id: 'b-saved' }, 'Saved the caps of ' + modem.value + '.'));
        say('Budget saved');
        await load();
      } catch (err) { out.replaceChildren(fail(err)); }
    });
    await load();
    // The usage moves as messages go out: follow it while the page is open.
    const later = debounce(() => load().catch((e) => box.replaceChildren(fail(e))), 500);
    events(later, ['sms:sent', 'budget:paused', 'budget:resumed']);
  }

  // ---- Settings -------------------------------------------------------

  async function settingsPage() {
    try {
      const r = await api('GET', '/ui/api/settings');
      setView(el('p', {}, 'The configuration in effect, read-only; secrets show as [redacted]. Change it in the configuration file and restart.'),
        el('pre', { id: 'config', tabindex: 0 }, r.config || '(none)'));
    } catch (e) { setView(fail(e)); }
  }

  const PAGES = { overview, messages, message, send, inbox, optouts, rules: rulesPage, modems: modemsPage, modem: modemPage, contacts: contactsPage, spend: spendPage, campaigns: campaignsPage, campaign: campaignPage, settings: settingsPage };
  const run = PAGES[PAGE];
  // data-ready tells whoever waits for the page (a test taking a
  // screenshot) that its first data arrived.
  const ready = () => { document.body.setAttribute('data-ready', ''); if (performance.mark) performance.mark('smsgw-ready'); };
  if (run) {
    if (!canRead && PAGE !== 'send') { setView(readOnlyNote('read the gateway\'s state')); ready(); }
    else run().catch((e) => setView(fail(e))).finally(ready);
  }
})();
