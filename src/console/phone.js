// phone.js -- telephone numbers as groupie's CLI cleans them, for the
// console's "add members" panel. A faithful port of src/common/phone.c
// (phone_is_valid, phone_country_code_len, phone_clean and its sentences)
// and of src/client/prepare.c (first row with a number is sent, later ones
// are duplicates). tests/console/phone.test.mjs runs the shared table
// tests/shared/phone_cases.tsv against this file, as tests/unit/
// test_phone_cases.c runs it against phone.c, and checks that the list of
// codes below is phone.c's list, so the two cannot drift apart.

export const PHONE_MIN_DIGITS = 8;
export const PHONE_MAX_DIGITS = 15;

// The assigned ITU-T E.164 country calling codes, as phone.c lists them
// (its comments name each one and the spare and reserved codes left out).
export const ASSIGNED_CODES = [
  '1', '20', '211', '212', '213', '216', '218', '220', '221', '222', '223', '224', '225',
  '226', '227', '228', '229', '230', '231', '232', '233', '234', '235', '236', '237', '238',
  '239', '240', '241', '242', '243', '244', '245', '246', '247', '248', '249', '250', '251',
  '252', '253', '254', '255', '256', '257', '258', '260', '261', '262', '263', '264', '265',
  '266', '267', '268', '269', '27', '290', '291', '297', '298', '299', '30', '31', '32', '33',
  '34', '350', '351', '352', '353', '354', '355', '356', '357', '358', '359', '36', '370',
  '371', '372', '373', '374', '375', '376', '377', '378', '379', '380', '381', '382', '383',
  '385', '386', '387', '388', '389', '39', '40', '41', '420', '421', '423', '43', '44', '45',
  '46', '47', '48', '49', '500', '501', '502', '503', '504', '505', '506', '507', '508', '509',
  '51', '52', '53', '54', '55', '56', '57', '58', '590', '591', '592', '593', '594', '595',
  '596', '597', '598', '599', '60', '61', '62', '63', '64', '65', '66', '670', '672', '673',
  '674', '675', '676', '677', '678', '679', '680', '681', '682', '683', '685', '686', '687',
  '688', '689', '690', '691', '692', '7', '800', '808', '81', '82', '84', '850', '852', '853',
  '855', '856', '86', '870', '878', '880', '881', '882', '883', '886', '888', '90', '91', '92',
  '93', '94', '95', '960', '961', '962', '963', '964', '965', '966', '967', '968', '970',
  '971', '972', '973', '974', '975', '976', '977', '979', '98', '991', '992', '993', '994',
  '995', '996', '998'
];

const ccLen = new Uint8Array(1000);
for (const code of ASSIGNED_CODES) {
  const span = 10 ** (3 - code.length);
  const value = Number(code);
  for (let slot = value * span; slot < (value + 1) * span; slot++) ccLen[slot] = code.length;
}

const isDigit = (c) => c >= '0' && c <= '9';

// Length (1-3) of the assigned code the digits of s begin with, or 0.
export function countryCodeLength(s) {
  let have = 0;
  let slot = 0;
  for (let k = 0; k < 3; k++) {
    let d = 0;
    if (k === have && k < s.length && isDigit(s[k])) {
      d = s.charCodeAt(k) - 48;
      have++;
    }
    slot = slot * 10 + d;
  }
  if (have === 0) return 0;
  const n = ccLen[slot];
  return n <= have ? n : 0;
}

// What groupied accepts: 8-15 digits, not starting with 0, with an
// assigned country code. The server cleans nothing.
export function phoneIsValid(s) {
  if (typeof s !== 'string' || s.length < PHONE_MIN_DIGITS || s.length > PHONE_MAX_DIGITS) {
    return false;
  }
  for (const c of s) if (!isDigit(c)) return false;
  if (s[0] === '0') return false;
  return countryCodeLength(s) > 0;
}

// The statuses of phone_clean(), by the names phone.h gives them.
export const CLEAN = Object.freeze({
  OK: 'OK',
  EMPTY: 'EMPTY',
  BAD_CHAR: 'BAD_CHAR',
  NATIONAL: 'NATIONAL',
  BAD_LENGTH: 'BAD_LENGTH',
  UNKNOWN_CODE: 'UNKNOWN_CODE',
  BAD_DEFAULT_CC: 'BAD_DEFAULT_CC',
});

// phone_clean_strerror()'s sentences, word for word.
export const CLEAN_SENTENCE = Object.freeze({
  OK: 'Valid phone number',
  EMPTY: 'No digits in the phone number',
  BAD_CHAR: "Contains a character other than digits, separators or a leading '+'",
  NATIONAL: 'National number (leading 0) and no default country code given',
  BAD_LENGTH: 'Not 8 to 15 digits after cleaning',
  UNKNOWN_CODE: 'Does not begin with an assigned country calling code',
  BAD_DEFAULT_CC: 'Default country code is not an assigned country calling code',
});

const isSeparator = (c) => c === ' ' || c === '\t' || c === '-' || c === '.' || c === '(' || c === ')';

function checkDefaultCc(cc) {
  if (cc == null || cc === '') return { status: CLEAN.NATIONAL };
  if (cc.length > 3) return { status: CLEAN.BAD_DEFAULT_CC };
  for (const c of cc) if (!isDigit(c)) return { status: CLEAN.BAD_DEFAULT_CC };
  if (cc[0] === '0' || countryCodeLength(cc) !== cc.length) return { status: CLEAN.BAD_DEFAULT_CC };
  return { status: CLEAN.OK };
}

// Cleans what a person typed, exactly as phone_clean() does: separators
// (space, tab, - . ( )) go, a leading '+' or "00" is dropped, a leading 0
// is a national number that needs defaultCc ("62"), and the result must
// be valid. Returns {status, number} with number '' unless status is OK.
export function phoneClean(raw, defaultCc) {
  const text = raw == null ? '' : String(raw);
  const cc = defaultCc == null ? '' : String(defaultCc);
  let digits = '';
  let plus = false;
  let seenSignificant = false;
  for (const c of text) {
    if (isSeparator(c)) continue;
    if (c === '+' && !seenSignificant) plus = true;
    else if (isDigit(c)) digits += c;
    else return { status: CLEAN.BAD_CHAR, number: '' };
    seenSignificant = true;
  }
  if (digits.length === 0) return { status: CLEAN.EMPTY, number: '' };
  let skip = 0;
  let international = plus;
  if (!plus && digits.length >= 2 && digits[0] === '0' && digits[1] === '0') {
    skip = 2;
    international = true;
  }
  let prefix = '';
  if (!international && digits[0] === '0') {
    const st = checkDefaultCc(cc).status;
    if (st !== CLEAN.OK) return { status: st, number: '' };
    prefix = cc;
    skip = 1;
  }
  const total = digits.length - skip + prefix.length;
  if (total < PHONE_MIN_DIGITS || total > PHONE_MAX_DIGITS) {
    return { status: CLEAN.BAD_LENGTH, number: '' };
  }
  const number = prefix + digits.slice(skip);
  if (!phoneIsValid(number)) return { status: CLEAN.UNKNOWN_CODE, number: '' };
  return { status: CLEAN.OK, number };
}

// The CLI's --default-country takes "62" or "+62"; so does the console.
// Returns the digits, or null when they are not an assigned code ('' for
// none given).
export function defaultCountry(text) {
  let cc = (text ?? '').trim();
  if (cc[0] === '+') cc = cc.slice(1);
  if (cc === '') return '';
  return checkDefaultCc(cc).status === CLEAN.OK ? cc : null;
}

// prepare(): every row cleaned, then de-duplicated: the first row with a
// number is sent ('valid'), later ones point at it ('duplicate', dupOf).
// rows: [{raw, ...}]; returns the rows with number, kind, status, dupOf
// added, and the counts.
export function prepare(rows, defaultCc) {
  const first = new Map();
  const out = { rows: [], valid: 0, invalid: 0, duplicates: 0 };
  rows.forEach((row, i) => {
    const { status, number } = phoneClean(row.raw, defaultCc);
    const r = { ...row, number, status, kind: 'valid', dupOf: -1 };
    if (status !== CLEAN.OK) {
      r.kind = 'invalid';
      out.invalid++;
    } else if (first.has(number)) {
      r.kind = 'duplicate';
      r.dupOf = first.get(number);
      out.duplicates++;
    } else {
      first.set(number, i);
      out.valid++;
    }
    out.rows.push(r);
  });
  return out;
}
