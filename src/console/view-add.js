// view-add.js -- "add members": numbers pasted or a CSV dropped, cleaned
// by the CLI's rules (phone.js, csv.js), sent in batches paced to the
// group's limits (addrun.js), with a progress bar and an outcome per row.
import { addRun, codeOf, detailOf, outcomeOf, reportCsv } from './addrun.js';
import { asDevice, call } from './api.js';
import { CsvError, readCsv, readList } from './csv.js';
import { announce, clear, duration, field, h, problem, table } from './dom.js';
import { defaultCountry, prepare } from './phone.js';

const SHOWN_ROWS = 500; // the table shows this many rows; the report has them all

export async function render(main, ctx, parts, query) {
  main.append(h('h1', null, 'Add members'));
  if (!ctx.acting) {
    main.append(h('p', null, 'No device exists yet. ', h('a', { href: '#/devices' }, 'Create one'), ' first.'));
    return;
  }
  const groups = await asDevice(ctx.acting, 'GET', '/groups?per_page=200');
  if (!groups.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(groups)));
    return;
  }
  const wanted = query.get('group');
  const groupSel = h(
    'select',
    { id: 'add-group', name: 'group' },
    groups.body.data.map((g) => h('option', { value: g.id, selected: g.id === wanted }, `${g.title} (group ${g.id})`)),
  );
  const paste = h('textarea', { id: 'add-paste', name: 'numbers', spellcheck: 'false', placeholder: '6287830605729\n+62 812-3456-7890\n0878 3060 5729' });
  const fileInput = h('input', { id: 'add-file', type: 'file', accept: '.csv,text/csv,.txt,text/plain' });
  const fileName = h('p', { class: 'hint', id: 'add-file-name' }, 'No file chosen.');
  const noHeader = h('input', { id: 'add-noheader', type: 'checkbox' });
  const delim = h('select', { id: 'add-delim' }, h('option', { value: ',' }, 'comma ,'), h('option', { value: ';' }, 'semicolon ;'), h('option', { value: '\t' }, 'tab'));
  const phoneCol = h('input', { id: 'add-phonecol', size: 10, placeholder: 'detect' });
  const cc = h('input', { id: 'add-cc', size: 5, inputmode: 'numeric', placeholder: 'none' });
  const checkBtn = h('button', { type: 'button', id: 'add-check' }, 'Check the numbers');
  const startBtn = h('button', { type: 'button', id: 'add-start', disabled: true }, 'Add them');
  const stopBtn = h('button', { type: 'button', id: 'add-stop', class: 'danger', disabled: true }, 'Stop');
  const summary = h('div', { id: 'add-summary', 'aria-live': 'polite' });
  const progress = h('progress', { id: 'add-progress', max: 1, value: 0 });
  const progressText = h('p', { id: 'add-progress-text', class: 'muted' });
  const results = h('div', { id: 'add-results' });
  let csvText = null;
  let csvName = '';
  let prepared = null;
  let abort = null;

  const drop = h(
    'div',
    { class: 'drop', id: 'add-drop' },
    h('p', null, 'Drop a CSV file here, or ', h('label', { for: 'add-file' }, h('strong', null, 'choose one')), '.'),
    fileInput,
    fileName,
  );
  const takeFile = async (file) => {
    csvText = await file.text();
    csvName = file.name;
    fileName.textContent = `${file.name} (${file.size} bytes): its rows are used instead of the box above.`;
    announce(`${file.name} loaded; check the numbers next`);
    prepared = null;
    startBtn.disabled = true;
  };
  fileInput.addEventListener('change', () => fileInput.files[0] && takeFile(fileInput.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) takeFile(e.dataTransfer.files[0]);
  });
  paste.addEventListener('input', () => {
    prepared = null;
    startBtn.disabled = true;
  });

  const rowsOfInput = () => {
    if (csvText != null) {
      return readCsv(csvText, { delimiter: delim.value, noHeader: noHeader.checked, phoneColumn: phoneCol.value.trim() || null }).rows;
    }
    return readList(paste.value);
  };

  checkBtn.addEventListener('click', () => {
    clear(results);
    const code = defaultCountry(cc.value);
    if (code === null) {
      clear(summary, h('p', { class: 'error', role: 'alert' }, `Default country code ${cc.value}: not an assigned country calling code (e.g. 62 for Indonesia).`));
      return;
    }
    let rows;
    try {
      rows = rowsOfInput();
    } catch (e) {
      clear(summary, h('p', { class: 'error', role: 'alert' }, e instanceof CsvError ? `${csvName}: ${e.message}` : String(e)));
      return;
    }
    prepared = prepare(rows, code);
    for (const r of prepared.rows) if (r.kind === 'duplicate') r.dupLine = prepared.rows[r.dupOf].line;
    clear(
      summary,
      h('p', null, `${prepared.rows.length} rows: ${prepared.valid} to send, ${prepared.invalid} invalid (never sent), ${prepared.duplicates} duplicates.`),
    );
    showRows(results, prepared.rows);
    startBtn.disabled = prepared.valid === 0;
    startBtn.textContent = `Add ${prepared.valid} number${prepared.valid === 1 ? '' : 's'}`;
  });

  startBtn.addEventListener('click', async () => {
    if (!prepared) return;
    const gid = groupSel.value;
    const info = await call('GET', `/admin/groups/${gid}`);
    if (!info.ok) {
      announce(problem(info), 'error');
      return;
    }
    const lim = info.body.data.limits;
    ctx.clock.learn(info.body.data.now);
    startBtn.disabled = checkBtn.disabled = true;
    stopBtn.disabled = false;
    abort = new AbortController();
    const total = prepared.valid;
    progress.max = Math.max(1, total);
    progress.value = 0;
    let lastNotice = '';
    const counts = () => {
      const c = { added: 0, already_member: 0, invited: 0, failed: 0 };
      for (const r of prepared.rows) if (r.kind === 'valid' && c[r.outcome] != null) c[r.outcome]++;
      return c;
    };
    const showProgress = (extra = '') => {
      const c = counts();
      const done = c.added + c.already_member + c.invited + c.failed;
      progress.value = done;
      progressText.textContent = `${done} of ${total} done: ${c.added} added, ${c.already_member} already members, ${c.invited} invited, ${c.failed} failed${extra ? `. ${extra}` : ''}`;
    };
    showProgress();
    const nowLocal = performance.now();
    // Slots other requests hold: free when the server says the first frees
    // (a 429 corrects the guess for the others).
    const frees = lim.rate.used >= lim.rate.limit ? lim.rate.next_slot_at : lim.rate.oldest_leaves_at;
    const freesIn = frees ? Date.parse(frees) - ctx.clock.now() : 0;
    const result = await addRun({
      rows: prepared.rows,
      batchSize: lim.batch.limit,
      rate: { limit: lim.rate.limit, windowMs: lim.rate.window_seconds * 1000, used: lim.rate.used, freesAtLocal: nowLocal + Math.max(0, freesIn || 0) + 50 },
      signal: abort.signal,
      send: (body, key) => asDevice(ctx.acting, 'POST', `/api/groups/${gid}/members/add`, { body, headers: { 'Idempotency-Key': key } }),
      onEvent: (ev) => {
        if (ev.type === 'answer') {
          showProgress(lastNotice);
          updateRows(results, ev.batch);
        } else if (ev.type === 'wait') {
          showProgress(`Waiting for the ${ev.why === 'window' ? 'rate window' : 'server'}: next request in ${duration(ev.ms / 1000)}`);
        } else if (ev.type === 'notice') {
          lastNotice = ev.text;
          announce(ev.text);
        }
      },
    });
    stopBtn.disabled = true;
    checkBtn.disabled = false;
    showProgress();
    const done = h('p', { id: 'add-done', class: result.status === 'complete' ? 'ok' : 'error', role: 'status' }, result.message);
    progressText.after(done);
    announce(result.message, result.status === 'complete' ? 'info' : 'error');
    showRows(results, prepared.rows);
    const blob = new Blob([reportCsv(prepared.rows)], { type: 'text/csv' });
    done.append(' ', h('a', { href: URL.createObjectURL(blob), download: `groupie-${gid}-report.csv` }, 'Download the report (CSV)'));
  });
  stopBtn.addEventListener('click', () => {
    abort?.abort();
    announce('Stopping after the request in flight');
  });

  main.append(
    h('p', { class: 'muted' }, `Sent as device ${ctx.acting}, with the cleaning rules of the groupie CLI: separators dropped, a leading + or 00 dropped, a leading 0 replaced by the default country code; invalid numbers are never sent and repeats are sent once.`),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Numbers to add' },
      field('Group', groupSel),
      field('Numbers, one per line (commas and semicolons also separate)', paste),
      drop,
      h(
        'div',
        { class: 'row' },
        field('Default country code', cc, 'For numbers written with a leading 0, e.g. 62'),
        field('CSV delimiter', delim),
        field('CSV phone column', phoneCol, 'A header name or a column number'),
      ),
      h('div', { class: 'check' }, noHeader, h('label', { for: 'add-noheader' }, 'The CSV file has no header row')),
      h('div', { class: 'row' }, checkBtn, startBtn, stopBtn),
    ),
    summary,
    h('div', { class: 'meter' }, h('label', { for: 'add-progress' }, 'Progress'), progress, progressText),
    results,
  );
  return () => abort?.abort();
}

function rowCells(r) {
  const outcome = outcomeOf(r);
  return [r.line, h('span', { class: 'mono' }, r.raw), h('span', { class: 'mono' }, r.number), h('span', { class: `badge ${outcome}` }, outcome), h('span', { class: 'mono' }, codeOf(r)), detailOf(r)];
}

function showRows(results, rows) {
  const shown = rows.slice(0, SHOWN_ROWS);
  clear(
    results,
    table(
      'Outcome of each row',
      ['Line', 'Input', 'Number', 'Outcome', 'Code', 'Detail'],
      shown.map((r) => {
        const tr = h('tr', { 'data-row': r.line }, rowCells(r).map((c) => h('td', null, c)));
        r.tr = tr;
        return tr;
      }),
      { class: 'wide' },
    ),
    rows.length > SHOWN_ROWS ? h('p', { class: 'hint' }, `The first ${SHOWN_ROWS} of ${rows.length} rows; the report has them all.`) : null,
  );
}

function updateRows(results, batch) {
  for (const r of batch) {
    if (!r.tr) continue;
    clear(r.tr, rowCells(r).map((c) => h('td', null, c)));
  }
}
