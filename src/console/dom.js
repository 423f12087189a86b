// dom.js -- building the page without HTML strings. The console's
// Content-Security-Policy turns on Trusted Types with no policy, so
// innerHTML and its kin throw: every element is made here, and every text
// (a group's subject, a person's name) goes in as text, never as markup.

// h('button', {type: 'button', onclick: f, 'aria-label': 'Close'}, 'x', child)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'for') el.htmlFor = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
export const uid = (prefix = 'c') => `${prefix}-${++ids}`;

// A labelled form field: {label, input, hint}.
export function field(label, input, hint) {
  if (!input.id) input.id = uid('f');
  const hintEl = hint ? h('p', { class: 'hint', id: uid('h') }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

// A table with a caption and headers; rows are arrays of cells.
export function table(caption, headers, rows, opts = {}) {
  const t = h(
    'table',
    { class: opts.class },
    h('caption', { class: opts.captionHidden ? 'visually-hidden' : null }, caption),
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows.map((r) => (r instanceof Node ? r : h('tr', null, r.map((c) => h('td', null, c)))))),
  );
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, t);
}

// Messages for screen readers (and a visible toast).
export function announce(text, kind = 'info') {
  const live = document.getElementById('live');
  const toasts = document.getElementById('toasts');
  if (live) {
    live.textContent = '';
    setTimeout(() => (live.textContent = text), 20);
  }
  if (toasts) {
    const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null }, text);
    toasts.append(t);
    setTimeout(() => t.remove(), kind === 'error' ? 9000 : 4000);
  }
}

export const pad = (n) => String(n).padStart(2, '0');

// "2026-12-05T19:59:29Z" -> "2026-12-05 19:59:29 UTC" (the server's times are UTC).
export function when(iso) {
  if (!iso) return '';
  return iso.replace('T', ' ').replace('Z', ' UTC');
}

// Seconds -> "2 h 05 min", "42 s".
export function duration(s) {
  s = Math.max(0, Math.ceil(s));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

// A button that copies text, saying so for screen readers.
export function copyButton(text, label = 'Copy') {
  return h(
    'button',
    {
      type: 'button',
      class: 'small',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text);
          announce('Copied to the clipboard');
        } catch {
          announce('The browser refused the clipboard; select the text and copy it', 'error');
        }
      },
    },
    label,
  );
}

// Text of an API refusal: the envelope's error, or its validation sentences.
export function problem(res) {
  const b = res.body;
  if (res.status === 0) return `The server cannot be reached (${res.error})`;
  if (b && typeof b === 'object') {
    if (b.error) return `${b.message}: ${b.error}`;
    if (b.errors) {
      return `${b.message}: ${Object.entries(b.errors)
        .map(([k, v]) => `${k}: ${[].concat(v).join('; ')}`)
        .join(' | ')}`;
    }
    if (b.message) return b.message;
  }
  return `HTTP ${res.status}`;
}
