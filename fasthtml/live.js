// fasthtml live client: one websocket per page for live components and anywidget widgets (served by fasthtml.live).
// Components are elements with data-live (a signed token) and data-lid; widget views have data-lw. Elements that
// appear later (htmx swaps, live updates) are found by a MutationObserver. The socket reconnects with backoff.
(() => {
  'use strict';
  if (window.fhLive) return;
  const me = document.currentScript;
  // The socket and the other live routes sit next to this script (under an app's mount prefix too).
  const base = me && me.src ? new URL(me.src, location.href).pathname.replace(/\/live\.js$/, '') : '/_live';
  const EVENTS = ['click', 'dblclick', 'input', 'change', 'submit', 'keydown'];

  let ws = null, retries = 0, stopped = false, open = false, scanQueued = false, opens = 0;
  const joined = new Set();          // component ids joined on the current socket
  const wjoined = new Set();         // widget keys joined on the current socket
  const pending = [];                // events made while the socket was down
  const lastSent = new WeakMap();    // input element -> value sent with its last event
  const inflight = new WeakMap();    // input element -> values sent with its events whose render has not come yet
  const models = new Map();          // widget key -> Model
  const cssDone = new Set();
  const timers = new WeakMap();

  const enc = (o) => JSON.stringify(o);
  const send = (o) => { if (ws && open) { ws.send(enc(o)); return true; } return false; };
  const byLid = (lid) => document.querySelector(`[data-lid="${CSS.escape(lid)}"]`);

  // ------------------------------------------------------------------ the socket
  function connect() {
    if (stopped) return;
    const url = new URL(base + '/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(url);
    ws.onopen = () => {
      open = true; retries = 0; opens++; joined.clear(); wjoined.clear();
      document.documentElement.dataset.liveState = 'open';
      scan();
      while (pending.length && open) ws.send(enc(pending.shift()));
    };
    ws.onmessage = (e) => { try { receive(JSON.parse(e.data)); } catch (err) { console.error('fasthtml live:', err); } };
    ws.onclose = (e) => {
      open = false; ws = null;
      document.documentElement.dataset.liveState = 'closed';
      if (e.code === 1008) { stopped = true; document.documentElement.dataset.liveState = 'refused'; return; }
      if (!document.querySelector('[data-live],[data-lw]')) return;   // nothing live left: reconnect when needed
      const delay = Math.min(10000, 200 * 2 ** retries) * (0.75 + Math.random() / 2);
      retries++;
      setTimeout(connect, delay);
    };
  }

  // ------------------------------------------------------------------ finding components and widgets
  function queueScan() {
    if (scanQueued) return;
    scanQueued = true;
    setTimeout(() => { scanQueued = false; scan(); }, 0);
  }

  function scan() {
    const comps = document.querySelectorAll('[data-live]');
    const views = document.querySelectorAll('[data-lw]');
    if (!ws && !stopped && (comps.length || views.length)) { connect(); return; }
    if (!open) return;
    const present = new Set(), claims = [];
    for (const el of comps) {
      const lid = el.dataset.lid;
      if (el.dataset.liveState === 'gone' || present.has(lid)) continue;
      present.add(lid);
      if (!joined.has(lid)) { joined.add(lid); claims.push([lid, el.dataset.live, el.dataset.lv || '0']); }
    }
    const left = [...joined].filter((l) => !present.has(l));
    left.forEach((l) => joined.delete(l));
    const wkeys = new Set(), wtoks = [];
    for (const el of views) {
      const key = el.dataset.lwk;
      wkeys.add(key);
      if (!wjoined.has(key)) { wjoined.add(key); wtoks.push(el.dataset.lw); }
      if (!el._fhView) mountView(el);
    }
    const wleft = [...wjoined].filter((k) => !wkeys.has(k));
    for (const k of wleft) { wjoined.delete(k); dropModel(k); }
    for (const m of models.values()) m.prune();
    if (claims.length || wtoks.length) send({ t: 'j', c: claims, w: wtoks });
    if (left.length || wleft.length) send({ t: 'l', c: left, w: wleft });
  }

  // ------------------------------------------------------------------ events
  function fieldsOf(el, type, ev) {
    const f = {};
    const form = el.tagName === 'FORM' ? el : el.closest('form');
    if (form) {
      for (const [k, v] of new FormData(form)) {
        if (typeof v !== 'string') continue;
        if (k in f) f[k] = [].concat(f[k], v); else f[k] = v;
      }
    }
    const field = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) || (el.tagName === 'BUTTON' && el.hasAttribute('value'));
    if (field) {
      const v = el.type === 'checkbox' ? el.checked : el.value;
      f.value = v;
      if (el.name) f[el.name] = v;
    }
    if (type === 'keydown') f.key = ev.key;
    const vals = el.getAttribute('live-vals');
    if (vals) { try { Object.assign(f, JSON.parse(vals)); } catch (e) { console.error('fasthtml live: bad live-vals', e); } }
    return f;
  }

  function onEvent(ev) {
    const attr = 'live-' + ev.type;
    const el = ev.target && ev.target.closest && ev.target.closest(`[${attr}]`);
    if (!el) return;
    const root = el.closest('[data-lid]');
    if (!root || root.dataset.liveState === 'gone') return;
    if (ev.type === 'submit' || (ev.type === 'click' && (el.tagName === 'A' || el.type === 'submit'))) ev.preventDefault();
    if (ev.type === 'keydown') {
      const want = el.getAttribute('live-key');
      if (want && want !== ev.key) return;
    }
    const go = () => {
      const f = fieldsOf(el, ev.type, ev);
      if ('value' in f && 'value' in el) {
        lastSent.set(el, el.value);
        const sent = inflight.get(el) || [];
        sent.push(el.value);
        if (sent.length > 64) sent.shift();
        inflight.set(el, sent);
      }
      const msg = { t: 'e', l: root.dataset.lid, h: el.getAttribute(attr), f };
      if (!send(msg)) { pending.push(msg); if (!ws) connect(); }
    };
    const ms = parseInt(el.getAttribute('live-debounce') || '0', 10);
    if (ms > 0) {
      clearTimeout(timers.get(el));
      timers.set(el, setTimeout(go, ms));
    } else go();
  }

  // ------------------------------------------------------------------ swapping a component's new HTML in place
  function parse(html) {
    const t = document.createElement('template');
    t.innerHTML = html;
    return t.content.firstElementChild;
  }

  function swap(lid, html) {
    const old = byLid(lid);
    if (!old) return;
    const nu = parse(html);
    if (!nu) return;
    // Widget views keep their live element (and the widget's drawing) when the component around them re-renders.
    const keep = new Map();
    for (const v of old.querySelectorAll('[data-lw]')) {
      const list = keep.get(v.dataset.lwk) || []; list.push(v); keep.set(v.dataset.lwk, list);
    }
    for (const ph of nu.querySelectorAll('[data-lw]')) {
      const list = keep.get(ph.dataset.lwk);
      if (list && list.length) ph.replaceWith(list.shift());
    }
    // Focus, caret and text typed since the last event survive the swap.
    const a = document.activeElement;
    let focus = null;
    if (a && old.contains(a) && a !== document.body) {
      focus = { id: a.id, name: a.getAttribute('name'), tag: a.tagName, value: a.value, el: a,
                typed: 'value' in a && lastSent.has(a) && lastSent.get(a) !== a.value,
                start: a.selectionStart, end: a.selectionEnd };
    }
    const err = nu.querySelector(':scope > .live-error');
    old.replaceWith(nu);
    if (err) err.scrollIntoView && err.scrollIntoView({ block: 'nearest' });
    if (focus) {
      let t = focus.id ? nu.querySelector('#' + CSS.escape(focus.id)) : null;
      if (!t && focus.name) t = nu.querySelector(`${focus.tag}[name="${CSS.escape(focus.name)}"]`);
      if (t) {
        // A render of an earlier event than the last one this input sent (its value is one sent before the last):
        // the text typed since stays. Renders that caught up, or set a value never sent, are taken as they come.
        const sent = inflight.get(focus.el) || [];
        const i = 'value' in t ? sent.indexOf(t.value) : -1;
        const stale = i >= 0 && i < sent.length - 1;
        if (i >= 0) sent.splice(0, i + 1);
        if (sent.length) inflight.set(t, sent);
        if (lastSent.has(focus.el)) lastSent.set(t, lastSent.get(focus.el));
        if (focus.typed || stale) t.value = focus.value;
        t.focus();
        try { if (focus.start != null) t.setSelectionRange(focus.start, focus.end); } catch (e) { /* not a text input */ }
      }
    }
    if (window.htmx) window.htmx.process(nu);
  }

  function showError(lid, html) {
    const root = byLid(lid);
    if (!root) return;
    const box = parse(html);
    const prev = root.querySelector(':scope > .live-error');
    if (prev) prev.replaceWith(box); else root.prepend(box);
  }

  function gone(lid) {
    joined.delete(lid);
    const el = byLid(lid);
    if (el) el.dataset.liveState = 'gone';
  }

  // ------------------------------------------------------------------ anywidget front-end models
  const toBuf = (b64) => { const s = atob(b64), u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return new DataView(u.buffer); };
  const fromBuf = (b) => {
    const u = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s);
  };
  function putBuffers(state, paths, bufs) {
    paths.forEach((p, i) => { let o = state; for (const k of p.slice(0, -1)) o = o[k]; o[p[p.length - 1]] = toBuf(bufs[i]); });
  }
  function splitBuffers(state) {
    const paths = [], bufs = [];
    const walk = (o, path) => {
      if (o instanceof ArrayBuffer || ArrayBuffer.isView(o)) { paths.push(path); bufs.push(fromBuf(o)); return null; }
      if (Array.isArray(o)) return o.map((v, i) => walk(v, path.concat(i)));
      if (o && typeof o === 'object' && o.constructor === Object) {
        const r = {}; for (const k in o) { const v = walk(o[k], path.concat(k)); if (v !== null || !(o[k] instanceof ArrayBuffer || ArrayBuffer.isView(o[k]))) r[k] = v; } return r;
      }
      return o;
    };
    return [walk(state, []), paths, bufs];
  }

  class Model {
    constructor(key, el) {
      this.key = key; this.state = null; this.dirty = new Set(); this.ls = new Map(); this.views = new Set();
      this.esm = el.dataset.esm; this.ready = null; this.cleanup = null; this.widget = null; this.waiting = [];
    }
    get(k) { return this.state ? this.state[k] : undefined; }
    set(k, v) { this.state[k] = v; this.dirty.add(k); this.emit('change:' + k); this.emit('change'); }
    save_changes() {
      if (!this.dirty.size) return;
      const st = {}; for (const k of this.dirty) st[k] = this.state[k];
      this.dirty.clear();
      const [s, paths, bufs] = splitBuffers(st);
      const msg = { t: 'w', k: this.key, m: { method: 'update', state: s, buffer_paths: paths }, b: bufs };
      if (!send(msg)) pending.push(msg);
    }
    send(content, callbacks, buffers) {
      const msg = { t: 'w', k: this.key, m: { method: 'custom', content }, b: (buffers || []).map(fromBuf) };
      if (!send(msg)) pending.push(msg);
    }
    on(name, cb) { for (const n of String(name).split(/\s+/)) { if (!this.ls.has(n)) this.ls.set(n, new Set()); this.ls.get(n).add(cb); } }
    off(name, cb) {
      if (!name) { this.ls.clear(); return; }
      for (const n of String(name).split(/\s+/)) { if (!cb) this.ls.delete(n); else if (this.ls.has(n)) this.ls.get(n).delete(cb); }
    }
    emit(name, ...args) {
      for (const cb of [...(this.ls.get(name) || [])]) { try { cb(...args); } catch (e) { console.error('fasthtml live widget:', e); } }
    }
    receive(m, bufs) {
      if (m.method === 'state') {
        const first = this.state === null;
        putBuffers(m.state, m.buffer_paths || [], bufs);
        this.state = Object.assign(this.state || {}, m.state);
        if (first) this.start(); else for (const k in m.state) this.emit('change:' + k);
      } else if (m.method === 'update') {
        if (!this.state) return;
        putBuffers(m.state, m.buffer_paths || [], bufs);
        for (const k in m.state) { this.state[k] = m.state[k]; this.emit('change:' + k); }
        this.emit('change');
      } else if (m.method === 'custom') {
        this.emit('msg:custom', m.content, bufs.map(toBuf));
      }
    }
    async start() {
      if (this.ready) return;
      this.ready = (async () => {
        const mod = await import(this.esm);
        let w = mod.default;
        if (typeof w === 'function') w = await w();
        if (!w || (typeof w.render !== 'function' && typeof w.initialize !== 'function')) w = mod;
        this.widget = w;
        if (typeof w.initialize === 'function') this.cleanup = await w.initialize({ model: this });
      })();
      try { await this.ready; } catch (e) { console.error('fasthtml live: loading widget failed', e); return; }
      for (const el of this.waiting.splice(0)) this.render(el);
    }
    async render(el) {
      if (!this.widget) { this.waiting.push(el); return; }
      if (typeof this.widget.render !== 'function') return;
      this.views.add(el);
      try { el._fhCleanup = await this.widget.render({ model: this, el }); }
      catch (e) { console.error('fasthtml live: widget render failed', e); }
    }
    prune() {
      for (const el of [...this.views]) {
        if (el.isConnected) continue;
        this.views.delete(el);
        if (typeof el._fhCleanup === 'function') { try { el._fhCleanup(); } catch (e) { console.error(e); } }
      }
    }
    destroy() {
      this.views.forEach((el) => { if (typeof el._fhCleanup === 'function') try { el._fhCleanup(); } catch (e) { console.error(e); } });
      this.views.clear();
      if (typeof this.cleanup === 'function') try { this.cleanup(); } catch (e) { console.error(e); }
      this.ls.clear();
    }
  }

  function mountView(el) {
    el._fhView = true;
    const key = el.dataset.lwk;
    let m = models.get(key);
    if (!m) { m = new Model(key, el); models.set(key, m); }
    const cssPath = el.dataset.css && el.dataset.css.split('?')[0];
    if (cssPath && !cssDone.has(cssPath)) {
      cssDone.add(cssPath);
      const link = document.createElement('link'); link.rel = 'stylesheet'; link.href = el.dataset.css;
      document.head.appendChild(link);
    }
    if (m.widget || m.state) m.render(el); else m.waiting.push(el);
  }

  function dropModel(key) {
    const m = models.get(key);
    if (m) { m.destroy(); models.delete(key); }
  }

  // ------------------------------------------------------------------ messages from the server
  function receive(m) {
    switch (m.t) {
      case 'h': swap(m.l, m.h); break;
      case 'x': showError(m.l, m.h); break;
      case 'g': gone(m.l); break;
      case 'w': { const md = models.get(m.k); if (md) md.receive(m.m, m.b || []); break; }
      case 'wg': for (const el of document.querySelectorAll(`[data-lwk="${CSS.escape(m.k)}"]`)) el.dataset.liveState = 'gone'; break;
      case 's':
        fetch(base + '/session', { method: 'POST', credentials: 'same-origin',
          headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'v=' + encodeURIComponent(m.v) })
          .catch((e) => console.error('fasthtml live: saving the session failed', e));
        break;
    }
  }

  // ------------------------------------------------------------------ start
  for (const t of EVENTS) document.addEventListener(t, onEvent);
  new MutationObserver(queueScan).observe(document.documentElement, { childList: true, subtree: true });
  window.fhLive = {
    get socket() { return ws; },
    get models() { return models; },
    get opens() { return opens; },          // how many times the socket opened (1 + reconnects)
    drop() { if (ws) ws.close(4000, 'test'); },
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan); else scan();
})();
