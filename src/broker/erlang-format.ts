// Renders field values the way Erlang's ~tp prints them, so error texts match RabbitMQ's.
import { FIELD_TYPE_NAMES, type FieldValue } from '../protocol/index.js';

/** A field value as Erlang's `~tp` prints it, for RabbitMQ-shaped error texts. */
export function erlangTerm(v: FieldValue): string {
  switch (v.type) {
    case 'S': return formatBinary(Buffer.from(v.value, 'utf8'));
    case 'x': return formatBinary(v.value);
    case 't': return String(v.value);
    case 'V': return 'undefined';
    case 'f': case 'd': return formatFloat(v.value);
    case 'D': return `{${v.value.scale},${v.value.value}}`;
    case 'F': return `[${[...v.value].map(([k, x]) => `{${formatBinary(Buffer.from(k, 'utf8'))},${FIELD_TYPE_NAMES[x.type]},${erlangTerm(x)}}`).join(',')}]`;
    case 'A': return `[${v.value.map((x) => `{${FIELD_TYPE_NAMES[x.type]},${erlangTerm(x)}}`).join(',')}]`;
    default: return String(v.value);
  }
}

/** Erlang prints floats with a fraction and a bare exponent: 1.0, 1.5e-7, 1.0e21. */
function formatFloat(x: number): string {
  const [mantissa = '', exp] = String(x).split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exp === undefined ? m : `${m}e${exp.replace('+', '')}`;
}

const ESCAPES: Readonly<Record<number, string>> = {
  0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x1b: '\\e', 0x22: '\\"', 0x5c: '\\\\',
};

/** Printable under Erlang's default `io:printable_range()` (latin1), escapes included. */
const printable = (c: number): boolean => (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff) || ESCAPES[c] !== undefined;

/** An Erlang binary as `~tp` prints it: <<"abc">>, <<"é"/utf8>> or <<1,2,3>>. */
function formatBinary(bytes: Buffer): string {
  if (bytes.length === 0) return '<<>>';
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) {
    const chars = [...text].map((ch) => ch.codePointAt(0)!);
    if (!chars.every(printable)) return `<<${bytes.join(',')}>>`;
    return chars.length === bytes.length ? `<<"${escape(text)}">>` : `<<"${escape(text)}"/utf8>>`;
  }
  return bytes.every(printable) ? `<<"${escape(bytes.toString('latin1'))}">>` : `<<${bytes.join(',')}>>`;
}

function escape(s: string): string {
  return s.replace(/[\b\t\n\v\f\r\x1b"\\]/g, (ch) => ESCAPES[ch.charCodeAt(0)]!);
}
