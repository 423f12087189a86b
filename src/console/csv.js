// csv.js -- reading what a person drops or pastes into the console, the
// way the CLI reads it (src/client/input.c, docs/CLI.md "Input"):
//   - CSV per RFC 4180, strict as libcsv's CSV_STRICT is: quoted cells may
//     hold the delimiter, doubled quotes and line breaks; a quote inside an
//     unquoted cell, text after a closing quote or a quote that never closes
//     is an error naming the line. A UTF-8 byte order mark and blank lines
//     are ignored; cells are trimmed. A record's line is the line it starts on.
//   - the first row is the header: the phone column is the first whose name
//     contains "phone", failing that "mobile", "whatsapp", then "number"
//     (case-insensitive); the name column the first other one containing
//     "name", then "nama". Or columns chosen by 1-based number.
//   - a plain list: one number per line, blank lines skipped, spaces, tabs
//     and '\r' around a number dropped.

export class CsvError extends Error {}

const BROKEN =
  "not valid CSV: a '\"' inside an unquoted cell, text after a closing quote, or a quoted " +
  'cell that never closes; quote the cell and double the quotes in it';

const isBlank = (c) => c === ' ' || c === '\t';

function stripBom(text) {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// Parses text into records: [{line, cells: [string]}].
export function parseCsv(text, delimiter = ',') {
  const s = stripBom(text);
  const records = [];
  let cells = [];
  let cell = '';
  let state = 'start'; // start | unquoted | quoted | quote (a quote inside quoted) | after
  let line = 1;
  let recordLine = 0;
  let pendingSpaces = ''; // blanks in an unquoted cell, kept only if more text follows
  const endCell = () => {
    cells.push(cell);
    cell = '';
    pendingSpaces = '';
    state = 'start';
  };
  const endRecord = () => {
    endCell();
    records.push({ line: recordLine, cells });
    cells = [];
    recordLine = 0;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\r' && s[i + 1] === '\n' && state !== 'quoted') continue;
    const newline = c === '\n' || c === '\r';
    if (recordLine === 0 && !newline && !isBlank(c)) recordLine = line;
    switch (state) {
      case 'start':
        if (c === '"') state = 'quoted';
        else if (c === delimiter) endCell();
        else if (newline) {
          if (cells.length > 0 || recordLine !== 0) endRecord();
        } else if (isBlank(c)) {
          // leading blanks are trimmed
        } else {
          cell = c;
          state = 'unquoted';
        }
        break;
      case 'unquoted':
        if (c === delimiter) endCell();
        else if (newline) endRecord();
        else if (c === '"') throw new CsvError(`line ${line}: ${BROKEN}`);
        else if (isBlank(c)) pendingSpaces += c;
        else {
          cell += pendingSpaces + c;
          pendingSpaces = '';
        }
        break;
      case 'quoted':
        if (c === '"') state = 'quote';
        else cell += c;
        break;
      case 'quote':
        if (c === '"') {
          cell += '"';
          state = 'quoted';
        } else if (c === delimiter) endCell();
        else if (newline) endRecord();
        else if (isBlank(c)) state = 'after';
        else throw new CsvError(`line ${line}: ${BROKEN}`);
        break;
      case 'after':
        if (c === delimiter) endCell();
        else if (newline) endRecord();
        else if (!isBlank(c)) throw new CsvError(`line ${line}: ${BROKEN}`);
        break;
    }
    if (c === '\n' || (c === '\r' && s[i + 1] !== '\n')) line++;
  }
  if (state === 'quoted') throw new CsvError(`line ${line}: ${BROKEN}`);
  if (cells.length > 0 || cell !== '' || recordLine !== 0) endRecord();
  return records;
}

const PHONE_WORDS = ['phone', 'mobile', 'whatsapp', 'number'];
const NAME_WORDS = ['name', 'nama'];

// Decides the columns from a header row (cells) or from 1-based numbers.
// opts: {phoneColumn, nameColumn, noHeader}; a column option is a header
// name (exact, case-insensitive) or a number. Returns {phone, name} as
// 0-based indexes (name -1 for none).
export function decideColumns(header, opts = {}) {
  const find = (opt, what) => {
    if (/^[0-9]+$/.test(String(opt))) {
      const n = Number(opt);
      if (n < 1 || n > 4096) throw new CsvError(`${what} column ${opt}: a column number is from 1 to 4096`);
      return n - 1;
    }
    if (opts.noHeader) {
      throw new CsvError(`${what} column ${opt}: without a header row, columns are given by number`);
    }
    const i = header.findIndex((h) => h.toLowerCase() === String(opt).toLowerCase());
    if (i < 0) {
      throw new CsvError(
        `${what} column ${opt}: no such column in the header row (it has ${header
          .map((h) => `"${h}"`)
          .join(', ')})`,
      );
    }
    return i;
  };
  let phone = -1;
  if (opts.phoneColumn != null && opts.phoneColumn !== '') phone = find(opts.phoneColumn, 'phone');
  else if (opts.noHeader) phone = 0;
  else {
    for (const word of PHONE_WORDS) {
      phone = header.findIndex((h) => h.toLowerCase().includes(word));
      if (phone >= 0) break;
    }
    if (phone < 0) {
      throw new CsvError(
        'no phone column in the header row (looked for a column named like phone, mobile, ' +
          'whatsapp or number); choose the phone column, or say the file has no header row',
      );
    }
  }
  let name = -1;
  if (opts.nameColumn != null && opts.nameColumn !== '') name = find(opts.nameColumn, 'name');
  else if (opts.nameColumn == null && !opts.noHeader) {
    for (const word of NAME_WORDS) {
      name = header.findIndex((h, i) => i !== phone && h.toLowerCase().includes(word));
      if (name >= 0) break;
    }
  }
  if (name === phone && name >= 0) throw new CsvError('the phone and name columns are the same column');
  return { phone, name };
}

// CSV text to rows [{line, raw, name}], as `groupie add --csv` reads it.
export function readCsv(text, opts = {}) {
  const records = parseCsv(text, opts.delimiter || ',');
  const header = opts.noHeader ? [] : (records.shift()?.cells ?? []);
  const cols = decideColumns(header, opts);
  return {
    header,
    columns: cols,
    rows: records.map((r) => ({
      line: r.line,
      raw: r.cells[cols.phone] ?? '',
      name: cols.name >= 0 ? (r.cells[cols.name] ?? '') : '',
    })),
  };
}

// A pasted list: one number per line, as `groupie add --file` reads it.
// The console also splits a line at commas and semicolons, which no number
// holds, since lists pasted from elsewhere often come that way.
export function readList(text) {
  const rows = [];
  stripBom(text)
    .split('\n')
    .forEach((lineText, i) => {
      for (const part of lineText.split(/[,;]/)) {
        const raw = part.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
        if (raw !== '') rows.push({ line: i + 1, raw, name: '' });
      }
    });
  return rows;
}
