// JSON values as policies and runtime parameters carry them, and how Erlang's ~p prints them in RabbitMQ's texts.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Erlang prints floats with a fraction and a bare exponent: 1.0, 1.5e-7, 1.0e21. */
function erlangFloat(x: number): string {
  const [mantissa = '', exp] = String(x).split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exp === undefined ? m : `${m}e${exp.replace('+', '')}`;
}

function erlangString(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}

/** A decoded JSON value as Erlang's ~p prints the term RabbitMQ decodes it to (strings are binaries, objects maps). */
export function erlangJson(v: unknown): string {
  if (typeof v === 'string') {
    const ascii = [...v].every((c) => c.charCodeAt(0) < 0x80);
    return ascii ? `<<"${erlangString(v)}">>` : `<<"${erlangString(v)}"/utf8>>`;
  }
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : erlangFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(erlangJson).join(',')}]`;
  return `#{${Object.entries(v as object).map(([k, x]) => `${erlangJson(k)} => ${erlangJson(x)}`).join(',')}}`;
}
