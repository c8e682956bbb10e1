// A narrower Channel (issue 16, point 5), kept by structure: method handlers (server/methods/*, server/direct-reply.ts)
// see their channel only as a MethodContext, whose data members are all readonly, and assign to none of its fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../support/source-files.js';

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server');
const HANDLERS = [...sourceFiles(join(SERVER, 'methods')), join(SERVER, 'direct-reply.ts')];

const parse = (file: string, text = readFileSync(file, 'utf8')) => ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);

/** The members of `interface name` in `source` that hold data (not methods) and are not marked readonly. */
function writableMembers(source: ts.SourceFile, name: string): string[] {
  const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!found) throw new Error(`no interface ${name} in ${source.fileName}`);
  return found.members
    .filter((m): m is ts.PropertySignature => ts.isPropertySignature(m))
    .filter((m) => !m.modifiers?.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword))
    .map((m) => m.name.getText(source));
}

const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken, ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken, ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken, ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.AmpersandEqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken,
]);

/** `p.field` or `p['field']` where p is a parameter typed MethodContext: the field's name, else undefined. */
function contextField(target: ts.Expression, contexts: ReadonlySet<string>): string | undefined {
  let e = target;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  if (!ts.isPropertyAccessExpression(e) && !ts.isElementAccessExpression(e)) return undefined;
  let object: ts.Expression = e.expression;
  while (ts.isParenthesizedExpression(object) || ts.isAsExpression(object) || ts.isNonNullExpression(object)) object = object.expression;
  if (!ts.isIdentifier(object) || !contexts.has(object.text)) return undefined;
  return ts.isPropertyAccessExpression(e) ? e.name.text : e.argumentExpression.getText();
}

/** Every write (=, op=, ++, --, delete) to a field of a MethodContext parameter in `source`, as "line: text". */
function contextWrites(source: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node, contexts: ReadonlySet<string>): void => {
    let inner = contexts;
    if (ts.isFunctionLike(node)) {
      const typed = node.parameters.filter((p) => p.type && /\bMethodContext\b/.test(p.type.getText(source)) && ts.isIdentifier(p.name));
      if (typed.length > 0) inner = new Set([...contexts, ...typed.map((p) => (p.name as ts.Identifier).text)]);
    }
    let target: ts.Expression | undefined;
    if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind)) target = node.left;
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) target = node.operand;
    else if (ts.isDeleteExpression(node)) target = node.expression;
    if (target && contextField(target, inner) !== undefined) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      out.push(`${line}: ${node.getText(source)}`);
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source, new Set());
  return out;
}

describe('MethodContext (the channel as method handlers see it)', () => {
  it('marks every data member readonly, so that tsc refuses a handler assigning to one', () => {
    expect(writableMembers(parse(join(SERVER, 'methods', 'context.ts')), 'MethodContext')).toEqual([]);
    // The check itself: a member without readonly is found.
    expect(writableMembers(parse('x.ts', 'interface MethodContext { readonly a: number; b: boolean; c(): void }'), 'MethodContext')).toEqual(['b']);
  });

  it('is all handlers see of a channel: none imports the Channel class', () => {
    const imports = HANDLERS.flatMap((file) =>
      parse(file)
        .statements.filter((s): s is ts.ImportDeclaration => ts.isImportDeclaration(s))
        .map((s) => (s.moduleSpecifier as ts.StringLiteral).text)
        .filter((spec) => /(^|\/)channel\.js$/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(imports).toEqual([]);
  });

  it('finds no handler assigning to, incrementing or deleting a field of its context', () => {
    const writes = HANDLERS.flatMap((file) => contextWrites(parse(file)).map((w) => `${file}:${w}`));
    expect(writes).toEqual([]);
  });

  it('(the scan itself) finds such writes through casts, element access and ++, and leaves locals and deeper objects alone', () => {
    const text = `
      function f(ch: MethodContext, other: Foo) {
        (ch as any).txMode = true;
        ch['confirms'] += 1;
        ch.replyConsumer!;
        ++ch.count;
        other.x = 1;
        const local = { a: 1 }; local.a = 2;
        ch.deliveries.prefetch(1);
        const g = (c: MethodContext) => { c.lastQueue = 'q'; };
      }`;
    expect(contextWrites(parse('x.ts', text)).map((w) => w.replace(/^\d+: /, ''))).toEqual([
      '(ch as any).txMode = true',
      "ch['confirms'] += 1",
      '++ch.count',
      "c.lastQueue = 'q'",
    ]);
  });
});
