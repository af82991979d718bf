// Hostile input for the fuzz suites, from one seed: the same seed makes the same values in the
// same order, so a failing request can be replayed. Values are bytes (Buffers), not strings,
// because the interesting ones are not valid UTF-8 (lone surrogates, overlong forms) and must
// reach the server exactly as generated. No value contains "Error:", "    at " or
// "node_modules", so finding one of those in an answer always means the server leaked it.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { random } from '../../bench/random.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytes = (...list: number[]): Buffer => Buffer.from(list);

/** Strings that are not valid UTF-8 once sent: only bytes can carry them. */
export const INVALID_UTF8: Buffer[] = [
  bytes(0xed, 0xa0, 0x80), // a lone high surrogate (U+D800) as WTF-8
  Buffer.concat([utf8('a'), bytes(0xed, 0xbf, 0xbf), utf8('b')]), // a lone low surrogate
  bytes(0xc0, 0xaf), // overlong "/"
  bytes(0xe0, 0x80, 0xaf), // overlong "/" again
  bytes(0xff, 0xfe, 0xfd),
  bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
  bytes(0xe2, 0x82), // a truncated "€"
];

const UNICODE = [
  '\u202Egnp.exe', // right-to-left override
  'مرحبا بالعالم', // Arabic (RTL)
  'שלום', // Hebrew (RTL)
  `e${'\u0301'.repeat(300)}`, // combining accents piled up
  'Z̷̢̛̖̗a̸̧̛͔l̴̢̰g̵̨̛o̶̢̜',
  '👩‍👩‍👧‍👦🏳️‍🌈🇰🇿',
  '😀'.repeat(2000),
  'a\u0000b', // NUL
  '\u0000',
  '\u2028\u2029', // JavaScript line separators
  '\uFEFFbom',
  '\u200B\u200C\u200D', // zero-width
  'Ｉｎｓｔａｇｒａｍ', // full-width
  'İıǅ ß ﬃ', // case-mapping oddities
  '\u001b[31mred\u001b[0m', // terminal escapes
  'қазақша Қ',
];

const NUMBERS = ['-1', '0', '-0', '1', '+1', ' 1 ', '1.5', '1,5', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', '0x10', '0b11', '0o7', '1e3', '9007199254740993', '99999999999999999999999999', '١٢٣', '０', '1_000', '.5', '5.', '00000000001'];

const MARKUP = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</textarea><script>alert(1)</script>',
  '<%= process.pid %>',
  '<%- include("/etc/passwd") %>',
  '{{constructor.constructor("return 1")()}}',
  '${7*7}',
  'javascript:alert(1)',
  '<!--',
  ']]>',
  '&lt;&amp;&#0;',
];

const SQL = ["' OR '1'='1", "1; DROP TABLE users; --", "1' UNION SELECT password_hash FROM users --", '%\' --', "\\'", '"', "') OR ('x'='x", 'NULL', '1 OR 1=1'];

const PATHS = ['../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', '....//....//etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f', 'C:\\Windows\\System32', '\\\\server\\share', 'file:///etc/passwd', '/dev/zero', '/proc/self/environ', 'data/qanat.db'];

/** returnTo-style values: the app must only ever follow its own paths. */
export const REDIRECTS = ['/queue', '/', '//evil.example/', '///evil.example', '/\\evil.example', '\\/evil.example', 'https://evil.example/', 'http:evil.example', '/%2F%2Fevil.example', '/\t/evil.example', '/\r\nLocation: https://evil.example', 'javascript:alert(1)', '/login?next=//evil.example'];

const CRLF = ['a\r\nSet-Cookie: fuzz=1', '\r\n\r\n<html>', 'line\nbreak', '\r', 'x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK'];

const DATES = ['2026-02-29', '2025-02-29', '2024-02-30', '2026-13-01', '2026-00-10', '0000-00-00', '1969-12-31', '9999-12-31', '+275760-09-13', '2026-1-1', '2026/01/01', '01.01.2026', '2026-03-29', '2026-03-08', '2026-10-25', 'tomorrow', '2026-02-31T10:00'];
const TIMES = ['24:00', '23:60', '99:99', '-1:00', '02:30', '01:30', '12:00:00', '12', '7:5', '00:00', '12:00 PM', 'noon'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Almaty', 'Mars/Olympus', 'UTC+5', 'Etc/GMT+14', 'GMT-99', '../../etc/localtime', 'europe/berlin', 'Australia/Lord_Howe', 'Pacific/Kiritimati'];

const FORMAT = ['%s%s%s%n', '%x%x', '{0}{1}', '{{t}}', '#{x}', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'true', 'false', 'null', 'undefined', '[]', '{}', '[object Object]'];

/** Form keys that try to reach objects' prototypes or build nested values. */
const NESTED_KEYS = ['a[b]', 'a[b][c]', '__proto__[x]', '__proto__[role]', 'constructor[prototype][x]', 'constructor[prototype][isAdmin]', '__proto__', 'prototype', 'a[]', '[]', 'a.b', 'role[]', 'username[]', '_csrf[]'];

export type FieldValue = Buffer | Buffer[];

export class Gen {
  readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = random(seed);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('pick from an empty list');
    return list[Math.floor(this.next() * list.length)] as T;
  }

  /** Picks a key of `weights` with probability proportional to its number. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let roll = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }

  shuffle<T>(list: readonly T[]): T[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** Seeded bytes (crypto's generator would not replay). */
  randomBytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** Very long values: 100 KB goes over the 64 KB form limit, the others stay under it. */
  long(): Buffer {
    const size = this.pick([5_000, 40_000, 70_000, 100 * 1024]);
    const unit = this.pick(['A', 'é', '😀', '<', '%', '\u0000', 'ab ']);
    return utf8(unit.repeat(Math.ceil(size / Buffer.byteLength(unit)))).subarray(0, size);
  }

  /** One hostile value of any kind. */
  hostile(): Buffer {
    const kind = this.weighted({ empty: 6, long: 3, unicode: 10, invalid: 5, number: 10, markup: 8, sql: 6, path: 6, redirect: 4, crlf: 5, date: 5, time: 4, zone: 4, id: 6, format: 5, random: 3 });
    switch (kind) {
      case 'empty':
        return this.pick([Buffer.alloc(0), utf8(' '), utf8('\t\n'), utf8('   ')]);
      case 'long':
        return this.long();
      case 'unicode':
        return utf8(this.pick(UNICODE));
      case 'invalid':
        return this.pick(INVALID_UTF8);
      case 'number':
        return utf8(this.pick(NUMBERS));
      case 'markup':
        return utf8(this.pick(MARKUP));
      case 'sql':
        return utf8(this.pick(SQL));
      case 'path':
        return utf8(this.pick(PATHS));
      case 'redirect':
        return utf8(this.pick(REDIRECTS));
      case 'crlf':
        return utf8(this.pick(CRLF));
      case 'date':
        return utf8(this.pick(DATES));
      case 'time':
        return utf8(this.pick(TIMES));
      case 'zone':
        return utf8(this.pick(ZONES));
      case 'id':
        return utf8(this.hugeOrNegativeId());
      case 'format':
        return utf8(this.pick(FORMAT));
      default:
        return this.randomBytes(this.int(1, 64));
    }
  }

  hugeOrNegativeId(): string {
    return this.pick(['0', '-1', '-9999999999', '4294967296', '9007199254740993', '1'.repeat(40), '9'.repeat(400), '1.0', '1e3', '0x1', '٣', '1 OR 1=1', ' 1', '01', '+1']);
  }

  /** A field value: usually one, sometimes the field repeated (an array once parsed). */
  fieldValue(plausible: readonly string[]): FieldValue {
    const one = (): Buffer => (plausible.length > 0 && this.chance(0.5) ? utf8(this.pick(plausible)) : this.hostile());
    if (this.chance(0.06)) return Array.from({ length: this.int(2, this.chance(0.2) ? 150 : 4) }, one);
    return one();
  }

  /** A key nobody's form has: nested, prototype-reaching, empty or odd. */
  extraKey(): string {
    return this.weighted({ nested: 5, word: 3, odd: 2 }) === 'nested'
      ? this.pick(NESTED_KEYS)
      : this.chance(0.6)
        ? this.pick(['status', 'id', 'role', 'isAdmin', 'userId', 'state', 'igMediaId', 'ig_media_id', 'password_hash', 'createdBy', 'published', 'accountId', 'returnTo'])
        : this.pick(['', ' ', '%', '\u0000', 'é', '😀', 'k'.repeat(3000), 'a=b', 'a&b']);
  }

  /** A raw path segment for :id and friends (already percent-encoded where it needs to be). */
  pathParam(real: readonly string[]): string {
    if (real.length > 0 && this.chance(0.5)) return encodeURIComponent(this.pick(real));
    return this.pick([
      encodeURIComponent(this.hugeOrNegativeId()),
      '%',
      '%zz',
      '%00',
      '%E0%A4%A',
      '%ED%A0%80',
      '%C0%AF',
      '..%2F..%2Fetc%2Fpasswd',
      '..',
      '.',
      encodeURIComponent('<script>'),
      encodeURIComponent("1' OR '1'='1"),
      encodeURIComponent('😀'),
      'abc',
      '1;2',
      '1%0D%0ASet-Cookie:%20x=1',
      'a'.repeat(this.pick([300, 5000])),
      `${this.int(1, 50)}`,
    ]);
  }

  /** A query string (without "?"): known names and random ones, repeated and nested keys, broken escapes. */
  query(names: readonly string[], plausible: (name: string) => readonly string[]): string {
    const parts: string[] = [];
    const count = this.int(0, 6);
    for (let i = 0; i < count; i++) {
      const name = names.length > 0 && this.chance(0.7) ? this.pick(names) : this.extraKey();
      const value = this.fieldValue(plausible(name));
      for (const v of Array.isArray(value) ? value.slice(0, 30) : [value]) parts.push(`${encodeKey(name)}=${percent(v)}`);
    }
    if (this.chance(0.15)) parts.push(this.pick(['%', '%zz', '&&&', '=', '==', 'a=%', 'a=%E0%A4%A', '%00=%00', '?', '#frag', 'a[=1', 'a]=1', ';']));
    if (this.chance(0.02)) parts.push(`big=${'A'.repeat(this.pick([4000, 20_000]))}`);
    return parts.join('&');
  }
}

/** Percent-encodes every byte that is not plainly safe (so invalid UTF-8 travels as sent). */
export function percent(value: Buffer): string {
  let out = '';
  for (const b of value) out += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Keys keep their brackets raw, as a hand-written attack would send `__proto__[x]=1`. */
export function encodeKey(key: string): string {
  return percent(utf8(key)).replace(/%5B/g, '[').replace(/%5D/g, ']');
}

export type Fields = Array<[string, FieldValue]>;

export function urlencoded(fields: Fields): Buffer {
  const parts: string[] = [];
  for (const [key, value] of fields) for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encodeKey(key)}=${percent(v)}`);
  return Buffer.from(parts.join('&'), 'latin1');
}

/** A JSON body (the app reads none; the handler must cope with an empty body). */
export function json(fields: Fields): Buffer {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of fields) out[key] = Array.isArray(value) ? value.map((v) => v.toString('utf8')) : value.toString('utf8');
  return utf8(JSON.stringify(out));
}

export interface FilePart {
  field: string;
  filename: string;
  bytes: Buffer;
  type?: string;
}

export interface Multipart {
  contentType: string;
  body: Buffer;
  /** Which malformation, for the replay line. */
  variant: string;
}

export const MULTIPART_VARIANTS = ['well-formed', 'bad-boundary', 'no-boundary', 'missing-final-boundary', 'huge-part-header', 'field-after-file', 'no-csrf', 'zero-byte-file', 'thousands-of-parts', 'passwd-filename', 'encoded-nul-filename', 'bare-lf', 'no-disposition', 'too-many-files', 'garbage', 'nested-multipart', 'truncated-mid-part', 'quoted-boundary'] as const;
export type MultipartVariant = (typeof MULTIPART_VARIANTS)[number];

const part = (boundary: string, headers: string, body: Buffer, eol = '\r\n'): Buffer => Buffer.concat([utf8(`--${boundary}${eol}${headers}${eol}${eol}`), body, utf8(eol)]);
const fieldPart = (boundary: string, name: string, value: Buffer, eol = '\r\n') => part(boundary, `Content-Disposition: form-data; name="${name.replace(/["\r\n]/g, '_')}"`, value, eol);
const filePart = (boundary: string, f: FilePart, disposition?: string) => part(boundary, `Content-Disposition: form-data; name="${f.field}"; ${disposition ?? `filename="${f.filename.replace(/["\r\n]/g, '_')}"`}\r\nContent-Type: ${f.type ?? 'application/octet-stream'}`, f.bytes);

/** A 48×48 grey PNG: small enough to make per request, real enough to be accepted. */
export function tinyPng(side = 48): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // 8-bit greyscale
  const rows = Buffer.alloc((side + 1) * side, 0x80);
  for (let y = 0; y < side; y++) rows[y * (side + 1)] = 0; // filter byte
  return Buffer.concat([bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

export function multipartFiles(g: Gen): FilePart[] {
  const count = g.weighted({ none: 4, one: 5, few: 1 }) === 'none' ? 0 : g.chance(0.8) ? 1 : g.int(2, 4);
  return Array.from({ length: count }, () => {
    const kind = g.weighted({ png: 2, jpegish: 3, mp4ish: 2, html: 2, random: 2, empty: 1 });
    const bytesOf: Record<typeof kind, () => Buffer> = {
      png: () => tinyPng(g.pick([48, 16, 400])),
      jpegish: () => Buffer.concat([bytes(0xff, 0xd8, 0xff, 0xe0), g.randomBytes(g.int(0, 3000))]),
      mp4ish: () => Buffer.concat([bytes(0, 0, 0, 0x18), utf8('ftypisom'), g.randomBytes(g.int(0, 2000))]),
      html: () => utf8(g.pick(MARKUP)),
      random: () => g.randomBytes(g.int(1, 5000)),
      empty: () => Buffer.alloc(0),
    };
    return { field: g.pick(['files', 'files', 'cover', 'other']), filename: g.pick(['photo.jpg', 'clip.mp4', '../../etc/passwd', 'a.php.jpg', '😀.png', 'x'.repeat(300), '', 'CON.jpg']), bytes: bytesOf[kind]() };
  });
}

/**
 * A multipart body carrying `fields` (the CSRF token first, as the composer sends it) and
 * `files`, bent by one of MULTIPART_VARIANTS.
 */
export function multipart(g: Gen, fields: Fields, files: FilePart[], csrf: string | undefined, variant: MultipartVariant): Multipart {
  const boundary = `----fuzz${crypto.createHash('sha1').update(String(g.next())).digest('hex').slice(0, 16)}`;
  const flat: Array<[string, Buffer]> = fields.flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, Buffer] => [k, x]) : [[k, v] as [string, Buffer]]));
  const csrfPart = csrf === undefined || variant === 'no-csrf' ? [] : [fieldPart(boundary, '_csrf', utf8(csrf))];
  const end = utf8(`--${boundary}--\r\n`);
  const type = `multipart/form-data; boundary=${boundary}`;
  const fieldParts = flat.map(([k, v]) => fieldPart(boundary, k, v));
  const fileParts = files.map((f) => filePart(boundary, f));
  const standard = () => Buffer.concat([...csrfPart, ...fieldParts, ...fileParts, end]);
  switch (variant) {
    case 'bad-boundary':
      return { contentType: `multipart/form-data; boundary=${boundary}x`, body: standard(), variant };
    case 'no-boundary':
      return { contentType: 'multipart/form-data', body: standard(), variant };
    case 'quoted-boundary':
      return { contentType: `multipart/form-data; boundary="${boundary}"; charset=utf-8`, body: standard(), variant };
    case 'missing-final-boundary':
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, ...fileParts]), variant };
    case 'truncated-mid-part': {
      const whole = standard();
      return { contentType: type, body: whole.subarray(0, Math.max(1, Math.floor(whole.length * g.next()))), variant };
    }
    case 'huge-part-header':
      return { contentType: type, body: Buffer.concat([...csrfPart, part(boundary, `Content-Disposition: form-data; name="caption"\r\nX-Filler: ${'h'.repeat(g.pick([9_000, 100_000]))}`, utf8('hi')), ...fieldParts, end]), variant };
    case 'field-after-file':
      return { contentType: type, body: Buffer.concat([...fieldParts, filePart(boundary, { field: 'files', filename: 'late.jpg', bytes: tinyPng() }), ...csrfPart, end]), variant };
    case 'zero-byte-file':
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, filePart(boundary, { field: 'files', filename: 'empty.jpg', bytes: Buffer.alloc(0) }), end]), variant };
    case 'thousands-of-parts': {
      const many = Array.from({ length: g.pick([450, 3000]) }, (_, i) => fieldPart(boundary, `f${i}`, utf8('x')));
      return { contentType: type, body: Buffer.concat([...csrfPart, ...many, end]), variant };
    }
    case 'passwd-filename':
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, filePart(boundary, { field: 'files', filename: '../../etc/passwd', bytes: utf8('root:x:0:0:root:/root:/bin/sh\n') }), end]), variant };
    case 'encoded-nul-filename':
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, filePart(boundary, { field: 'files', filename: '', bytes: tinyPng() }, "filename*=UTF-8''..%2F..%2Fa%00b.php.jpg"), end]), variant };
    case 'bare-lf':
      return { contentType: type, body: Buffer.concat([...(csrf === undefined ? [] : [fieldPart(boundary, '_csrf', utf8(csrf), '\n')]), ...flat.map(([k, v]) => fieldPart(boundary, k, v, '\n')), utf8(`--${boundary}--\n`)]), variant };
    case 'no-disposition':
      return { contentType: type, body: Buffer.concat([...csrfPart, part(boundary, 'Content-Type: text/plain', utf8('orphan')), ...fieldParts, end]), variant };
    case 'too-many-files':
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, ...Array.from({ length: 14 }, (_, i) => filePart(boundary, { field: 'files', filename: `p${i}.png`, bytes: utf8('x') })), end]), variant };
    case 'garbage':
      return { contentType: type, body: g.randomBytes(g.int(0, 4000)), variant };
    case 'nested-multipart': {
      const inner = `inner${boundary}`;
      const nested = part(boundary, `Content-Disposition: form-data; name="files"\r\nContent-Type: multipart/mixed; boundary=${inner}`, Buffer.concat([filePart(inner, { field: 'files', filename: 'n.png', bytes: tinyPng() }), utf8(`--${inner}--`)]));
      return { contentType: type, body: Buffer.concat([...csrfPart, ...fieldParts, nested, end]), variant };
    }
    default:
      return { contentType: type, body: standard(), variant: 'well-formed' };
  }
}
