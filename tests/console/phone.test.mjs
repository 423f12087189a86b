// phone.test.mjs -- the console's port of the CLI's cleaning rules
// (src/console/phone.js) against the table phone.c is tested with
// (tests/shared/phone_cases.tsv), and its list of country codes against
// phone.c's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  ASSIGNED_CODES,
  CLEAN,
  CLEAN_SENTENCE,
  defaultCountry,
  phoneClean,
  phoneIsValid,
  prepare,
} from '../../src/console/phone.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the shared table cleans as phone.c does', () => {
  const text = readFileSync(join(root, 'tests/shared/phone_cases.tsv'), 'utf8');
  let cases = 0;
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '' || line.startsWith('#')) continue;
    const [input, cc, status, number = ''] = line.split('\t');
    const raw = input.replaceAll('\\t', '\t').replaceAll('\\s', ' ');
    const got = phoneClean(raw, cc);
    assert.deepEqual(got, { status, number }, `line ${i + 1}: "${input}" (default "${cc}")`);
    cases++;
  }
  assert.ok(cases >= 40, `only ${cases} cases`);
});

test('the country codes are phone.c\'s, in its order', () => {
  const c = readFileSync(join(root, 'src/common/phone.c'), 'utf8');
  const start = c.indexOf('assigned_codes[] = {');
  const body = c.slice(start, c.indexOf('};', start));
  // Only the quoted codes: the comments name countries and spare codes.
  const codes = [...body.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/"(\d+)"/g)].map((m) => m[1]);
  assert.ok(codes.length > 200);
  assert.deepEqual(ASSIGNED_CODES, codes);
});

test('the sentences are phone_clean_strerror()\'s', () => {
  const c = readFileSync(join(root, 'src/common/phone.c'), 'utf8');
  for (const [name, sentence] of Object.entries(CLEAN_SENTENCE)) {
    const at = c.indexOf(`case PHONE_CLEAN_${name}:`);
    assert.ok(at >= 0, name);
    const quoted = c.slice(at).match(/return "((?:[^"\\]|\\.)*)"/)[1].replaceAll('\\"', '"');
    assert.equal(sentence, quoted, name);
  }
  assert.equal(Object.keys(CLEAN).length, Object.keys(CLEAN_SENTENCE).length);
});

test('validity is the server rule', () => {
  assert.equal(phoneIsValid('6287830605729'), true);
  assert.equal(phoneIsValid('+6287830605729'), false);
  assert.equal(phoneIsValid('0878306057'), false);
  assert.equal(phoneIsValid('2101234567'), false);
  assert.equal(phoneIsValid(6287830605729), false);
});

test('the default country is taken as the CLI takes it', () => {
  assert.equal(defaultCountry('62'), '62');
  assert.equal(defaultCountry(' +62 '), '62');
  assert.equal(defaultCountry(''), '');
  assert.equal(defaultCountry('620'), null);
  assert.equal(defaultCountry('x'), null);
});

test('prepare keeps the first row of a number and points later ones at it', () => {
  const p = prepare(
    [{ raw: '6287830605729' }, { raw: 'abc' }, { raw: '+62 878-3060-5729' }, { raw: '0878 3060 5729' }],
    '62',
  );
  assert.deepEqual(
    p.rows.map((r) => [r.kind, r.number, r.dupOf]),
    [
      ['valid', '6287830605729', -1],
      ['invalid', '', -1],
      ['duplicate', '6287830605729', 0],
      ['duplicate', '6287830605729', 0],
    ],
  );
  assert.deepEqual([p.valid, p.invalid, p.duplicates], [1, 1, 2]);
  assert.equal(p.rows[1].status, CLEAN.BAD_CHAR);
});
