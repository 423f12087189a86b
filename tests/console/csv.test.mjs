// csv.test.mjs -- the console reads CSV files and pasted lists as the CLI
// does (docs/CLI.md "Input", src/client/input.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvError, parseCsv, readCsv, readList } from '../../src/console/csv.js';

test('quoted cells hold delimiters, doubled quotes and line breaks', () => {
  const r = parseCsv('a,"b,c","say ""hi"""\n"multi\nline",x,y\n');
  assert.deepEqual(r, [
    { line: 1, cells: ['a', 'b,c', 'say "hi"'] },
    { line: 2, cells: ['multi\nline', 'x', 'y'] },
  ]);
});

test('a record\'s line is where it starts; blank lines and a BOM are skipped', () => {
  const r = readCsv('\ufeffName,Phone\r\n\r\nAna,"62 878\n3060"\n\n  \nBudi,6281311110002\n');
  assert.deepEqual(r.columns, { phone: 1, name: 0 });
  assert.deepEqual(
    r.rows.map((x) => [x.line, x.raw, x.name]),
    [
      [3, '62 878\n3060', 'Ana'],
      [7, '6281311110002', 'Budi'],
    ],
  );
});

test('strict: stray quotes are errors naming the line', () => {
  assert.throws(() => parseCsv('a,b\nc,5" screen\n'), (e) => e instanceof CsvError && /^line 2:/.test(e.message));
  assert.throws(() => parseCsv('a,"b"x\n'), /line 1:/);
  assert.throws(() => parseCsv('a,"never closes\n'), /line 2:/);
});

test('cells are trimmed', () => {
  assert.deepEqual(parseCsv('  a  , "b" ,c d \n')[0].cells, ['a', 'b', 'c d']);
});

test('the phone column: phone, then mobile, whatsapp, number', () => {
  assert.equal(readCsv('Member Number,Mobile\n1,2\n').columns.phone, 1);
  assert.equal(readCsv('id,WhatsApp No\n1,2\n').columns.phone, 1);
  assert.equal(readCsv('number,phone_home\n1,2\n').columns.phone, 1);
  assert.equal(readCsv('Nama,No HP,number\nA,1,2\n').columns.name, 0);
  assert.throws(() => readCsv('a,b\n1,2\n'), /no phone column/);
});

test('columns by name or number, and files without a header', () => {
  assert.deepEqual(readCsv('x,y\n1,2\n', { phoneColumn: 'Y' }).columns, { phone: 1, name: -1 });
  const r = readCsv('6281,A\n6282,B\n', { noHeader: true, phoneColumn: '1', nameColumn: '2' });
  assert.deepEqual(r.rows.map((x) => [x.line, x.raw, x.name]), [
    [1, '6281', 'A'],
    [2, '6282', 'B'],
  ]);
  assert.throws(() => readCsv('a\n', { noHeader: true, phoneColumn: 'phone' }), /by number/);
  assert.throws(() => readCsv('a,b\n', { phoneColumn: 'c' }), /no such column/);
});

test('semicolon files', () => {
  assert.deepEqual(readCsv('phone;name\n6281;"A;B"\n', { delimiter: ';' }).rows[0].name, 'A;B');
});

test('a pasted list: one number a line, split at commas and semicolons', () => {
  assert.deepEqual(
    readList(' 6287830605729 \r\n\n+62 812-3456-7890, 6289876543210;6285544332211\n').map((r) => [r.line, r.raw]),
    [
      [1, '6287830605729'],
      [3, '+62 812-3456-7890'],
      [3, '6289876543210'],
      [3, '6285544332211'],
    ],
  );
});
