// view-directory.js -- the sandbox's WhatsApp users: every one, searched
// by name or number (GET /admin/directory); look one up, register or
// change one (name, privacy, contacts, blocks), delete one, or import many
// from a CSV file.
import { call } from './api.js';
import { CsvError, parseCsv } from './csv.js';
import { announce, clear, field, h, problem, table } from './dom.js';
import { CLEAN_SENTENCE, defaultCountry, phoneClean } from './phone.js';
import { pager } from './view-groups.js';

const BULK_MAX = 10000; // POST /admin/directory takes this many users at once
const PER_PAGE = 25;

const listOf = (text) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export async function render(main, ctx, parts, query) {
  main.append(h('h1', null, 'Directory'));
  const lookup = h('input', { id: 'dir-phone', inputmode: 'tel', spellcheck: 'false', autocomplete: 'off' });
  const editor = h('div', { id: 'dir-editor' });
  const find = async (ev) => {
    ev?.preventDefault();
    const { status, number } = phoneClean(lookup.value, '');
    if (status !== 'OK') {
      clear(editor, h('p', { class: 'error', role: 'alert' }, `${lookup.value}: ${CLEAN_SENTENCE[status]}`));
      return;
    }
    const r = await call('GET', `/admin/directory/${number}`);
    if (r.status === 404) {
      clear(editor, h('p', { role: 'status' }, `${number} is not registered on this sandbox's WhatsApp.`), form(editor, { phone: number, name: null, privacy: 'everyone', contacts: [], blocked: [] }, true));
    } else if (r.ok) {
      clear(editor, form(editor, r.body.data, false));
    } else {
      clear(editor, h('p', { class: 'error', role: 'alert' }, problem(r)));
    }
  };
  const edit = (entry) => {
    lookup.value = entry.phone;
    clear(editor, form(editor, entry, false));
    editor.querySelector('input')?.focus();
  };
  main.append(await peoplePanel(query, edit));
  main.append(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'dir-find-title' },
      h('h2', { id: 'dir-find-title' }, 'Find or register a person'),
      h('form', { class: 'row', onsubmit: find }, field('Phone number', lookup, 'Cleaned like the CLI does: +62 812-3456-7890 works'), h('button', { type: 'submit' }, 'Look up')),
      editor,
    ),
    importPanel(),
  );
}

// Everyone registered, a page at a time, with a search by name or number.
async function peoplePanel(query, edit) {
  const page = Math.max(1, Number(query.get('page')) || 1);
  const search = query.get('search') ?? '';
  const input = h('input', { id: 'dir-search', type: 'search', value: search, autocomplete: 'off', spellcheck: 'false' });
  const find = (ev) => {
    ev.preventDefault();
    location.hash = `#/directory?search=${encodeURIComponent(input.value.trim())}`;
  };
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'dir-people-title' },
    h('h2', { id: 'dir-people-title' }, 'People'),
    h('form', { class: 'row', role: 'search', onsubmit: find }, field('Search by name or number', input), h('button', { type: 'submit' }, 'Search')),
  );
  const q = new URLSearchParams({ search, page: String(page), per_page: String(PER_PAGE) });
  const r = await call('GET', `/admin/directory?${q}`);
  if (!r.ok) {
    panel.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return panel;
  }
  const rows = r.body.data.map((e) => [
    h('button', { type: 'button', class: 'small secondary mono', onclick: () => edit(e), 'aria-label': `Edit ${e.phone}` }, e.phone),
    e.name ?? '—',
    h('span', { class: `badge ${e.privacy === 'everyone' ? 'added' : 'pending'}` }, e.privacy),
    e.contacts.length ? e.contacts.join(', ') : '—',
    e.blocked.length ? e.blocked.join(', ') : '—',
  ]);
  panel.append(
    rows.length === 0
      ? h('p', { role: 'status' }, search ? `Nobody matches ${search}.` : 'Nobody is registered yet.')
      : table(search ? `People matching ${search}` : 'Registered people', ['Number', 'Name', 'Privacy', 'Contacts', 'Blocked'], rows),
    pager(r.body.meta, (p) => `#/directory?${new URLSearchParams({ search, page: String(p) })}`) ?? '',
  );
  return panel;
}

// The edit form of one entry; fresh: a number not registered yet.
function form(editor, e, fresh) {
  const name = h('input', { id: 'dir-name', value: e.name ?? '', maxlength: 256 });
  const privacy = h(
    'select',
    { id: 'dir-privacy' },
    ['everyone', 'contacts', 'nobody'].map((p) => h('option', { value: p, selected: p === e.privacy }, p)),
  );
  const contacts = h('textarea', { id: 'dir-contacts', rows: 3 });
  contacts.value = e.contacts.join('\n');
  const blocked = h('textarea', { id: 'dir-blocked', rows: 3 });
  blocked.value = e.blocked.join('\n');
  const save = async (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim() === '' ? null : name.value.trim(),
      privacy: privacy.value,
      contacts: listOf(contacts.value),
      blocked: listOf(blocked.value),
    };
    const r = await call('PUT', `/admin/directory/${e.phone}`, { body });
    if (r.ok) {
      announce(`${e.phone} saved`);
      clear(editor, h('p', { class: 'ok', role: 'status' }, `${e.phone} is registered.`), form(editor, r.body.data, false));
    } else announce(problem(r), 'error');
  };
  const del = async () => {
    const r = await call('DELETE', `/admin/directory/${e.phone}`);
    announce(r.ok ? `${e.phone} is no longer registered` : problem(r), r.ok ? 'info' : 'error');
    if (r.ok) clear(editor, h('p', { role: 'status' }, `${e.phone} was deleted from the directory; group memberships stay.`));
  };
  return h(
    'form',
    { onsubmit: save, 'aria-label': `Directory entry of ${e.phone}` },
    h('h3', null, fresh ? `Register ${e.phone}` : e.phone),
    field('Name', name),
    field('Privacy: who may add them to a group', privacy, 'contacts: only devices in their contacts; nobody: an add sends a private invitation instead'),
    field('Their contacts (numbers, one per line)', contacts),
    field('Numbers they block (a blocked device gets USER_BLOCKED)', blocked),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, fresh ? 'Register' : 'Save'), fresh ? null : h('button', { type: 'button', class: 'danger', onclick: del }, 'Delete')),
  );
}

// A CSV of users: phone (required), name, privacy, contacts, blocked
// (lists separated by spaces or semicolons), sent all or nothing.
function importPanel() {
  const file = h('input', { id: 'dir-file', type: 'file', accept: '.csv,text/csv' });
  const cc = h('input', { id: 'dir-cc', size: 5, placeholder: 'none' });
  const out = h('div', { id: 'dir-import-out', 'aria-live': 'polite' });
  const run = async (ev) => {
    ev.preventDefault();
    clear(out);
    const f = file.files[0];
    const code = defaultCountry(cc.value);
    if (!f) return clear(out, h('p', { class: 'error' }, 'Choose a CSV file first.'));
    if (code === null) return clear(out, h('p', { class: 'error' }, `${cc.value} is not an assigned country calling code.`));
    let records;
    try {
      records = parseCsv(await f.text());
    } catch (e) {
      return clear(out, h('p', { class: 'error', role: 'alert' }, e instanceof CsvError ? `${f.name}: ${e.message}` : String(e)));
    }
    const header = (records.shift()?.cells ?? []).map((c) => c.toLowerCase());
    const col = (w) => header.findIndex((c) => c.includes(w));
    const [pc, nc, vc, cc2, bc] = [col('phone'), col('name'), col('privacy'), col('contacts'), col('blocked')];
    if (pc < 0) return clear(out, h('p', { class: 'error' }, 'The header row needs a phone column (and may have name, privacy, contacts, blocked).'));
    const users = [];
    const bad = [];
    const clean = (raw) => phoneClean(raw, code);
    for (const r of records) {
      const p = clean(r.cells[pc]);
      if (p.status !== 'OK') {
        bad.push(`line ${r.line}: ${r.cells[pc]}: ${CLEAN_SENTENCE[p.status]}`);
        continue;
      }
      const u = { phone: p.number };
      if (nc >= 0 && r.cells[nc]) u.name = r.cells[nc];
      if (vc >= 0 && r.cells[vc]) u.privacy = r.cells[vc].toLowerCase();
      for (const [k, i] of [['contacts', cc2], ['blocked', bc]]) {
        if (i >= 0 && r.cells[i] !== undefined) {
          const list = listOf(r.cells[i]).map(clean);
          const wrong = list.find((x) => x.status !== 'OK');
          if (wrong) bad.push(`line ${r.line}: ${k}: ${CLEAN_SENTENCE[wrong.status]}`);
          u[k] = list.filter((x) => x.status === 'OK').map((x) => x.number);
        }
      }
      users.push(u);
    }
    let sent = 0;
    for (let i = 0; i < users.length; i += BULK_MAX) {
      const r = await call('POST', '/admin/directory', { body: { users: users.slice(i, i + BULK_MAX) } });
      if (!r.ok) {
        clear(out, h('p', { class: 'error', role: 'alert' }, `Rows from ${i + 1} on were not imported: ${problem(r)}`));
        return;
      }
      sent += r.body.data.upserted;
    }
    clear(
      out,
      h('p', { class: 'ok', role: 'status' }, `${sent} people registered or updated from ${f.name}.`),
      bad.length ? h('details', null, h('summary', null, `${bad.length} problems (those rows or list entries were left out)`), h('ul', null, bad.slice(0, 200).map((b) => h('li', null, b)))) : null,
    );
    announce(`${sent} people imported`);
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'dir-import-title' },
    h('h2', { id: 'dir-import-title' }, 'Import people from a CSV file'),
    h('p', { class: 'hint' }, 'A header row with phone and optionally name, privacy (everyone, contacts, nobody), contacts and blocked (numbers separated by spaces or semicolons). Existing people are updated; each batch of 10,000 is saved all or nothing.'),
    h('form', { onsubmit: run }, field('CSV file', file), field('Default country code', cc, 'For numbers written with a leading 0'), h('button', { type: 'submit' }, 'Import')),
    out,
  );
}
