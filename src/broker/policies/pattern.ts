// Policy patterns: regular expressions matched unanchored against object names, compiled once, refused with PCRE's texts.

/** A pattern RabbitMQ's PCRE would refuse: the reason as RabbitMQ reports it (`{"missing )",1}`), for the policy error. */
export class PatternError extends Error {}

/** JavaScript's complaint, mapped to the PCRE message and offset RabbitMQ 3.10 reports for the common mistakes. */
function pcreReason(pattern: string, jsMessage: string): string {
  const table: Array<[RegExp, string, (p: string) => number]> = [
    [/Unterminated group/, 'missing )', (p) => p.length],
    [/Unmatched '\)'/, 'unmatched parentheses', (p) => unmatchedClose(p)],
    [/Unterminated character class/, 'missing terminating ] for character class', (p) => p.length],
    [/Nothing to repeat/, 'nothing to repeat', (p) => Math.max(0, p.search(/(?:^|[(|]|(?<!\\)[*+?])[*+?{]/) + (/^[*+?{]/.test(p) ? 0 : 1))],
    [/\\ at end of pattern/, '\\ at end of pattern', (p) => p.length],
    [/numbers out of order in \{\} quantifier/, 'numbers out of order in {} quantifier', (p) => p.indexOf('}')],
  ];
  for (const [re, text, offset] of table) {
    if (re.test(jsMessage)) return erlangTuple(text, offset(pattern));
  }
  return erlangTuple(jsMessage.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''), pattern.length);
}

/** The offset of the first `)` that closes nothing. */
function unmatchedClose(p: string): number {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i += 1;
    else if (c === '(') depth += 1;
    else if (c === ')' && --depth < 0) return i;
  }
  return p.length;
}

/** `{"text",N}` as Erlang's ~p prints it after RabbitMQ's prefix: a term too long for the line breaks after its first element. */
function erlangTuple(text: string, offset: number): string {
  const quoted = `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  const prefix = 'pattern should be regular expression but is invalid: ';
  const flat = `{${quoted},${offset}}`;
  return prefix.length + flat.length > 77 ? `{${quoted},\n${' '.repeat(prefix.length + 1)}${offset}}` : flat;
}

/**
 * Compiles a policy pattern. PCRE and JavaScript agree on the usual syntax; a leading `(?i)` (PCRE's inline flag,
 * which JavaScript lacks) becomes the `i` flag.
 */
export function compilePolicyPattern(pattern: string): RegExp {
  let source = pattern;
  let flags = '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  // PCRE takes a lone `]` or `}` literally; JavaScript's non-unicode mode does too.
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new PatternError(pcreReason(pattern, (e as Error).message));
  }
}
