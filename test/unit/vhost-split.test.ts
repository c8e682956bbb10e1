// The vhost split (issue 16, point 1), kept by structure: src/broker/vhost.ts holds the topology and hands every publish-path
// call to src/broker/routing.ts in one statement; vhost.ts routes, enqueues and dead-letters nothing itself, and routing.ts
// does not know the VirtualHost.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const BROKER = join(import.meta.dirname, '..', '..', 'src', 'broker');
const parse = (file: string, text = readFileSync(file, 'utf8')) => ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);

function classOf(source: ts.SourceFile, name: string): ts.ClassDeclaration {
  const found = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name);
  if (!found) throw new Error(`no class ${name} in ${source.fileName}`);
  return found;
}

const publicMethods = (c: ts.ClassDeclaration): ts.MethodDeclaration[] =>
  c.members.filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !m.modifiers?.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword) && !ts.isPrivateIdentifier(m.name));

/** The methods of VirtualHost named as a Routing method that are not one statement calling this.routing.<same>(its own parameters). */
function undelegated(vhost: ts.SourceFile, routing: ts.SourceFile): string[] {
  const names = new Set(publicMethods(classOf(routing, 'Routing')).map((m) => m.name.getText(routing)));
  const out: string[] = [];
  for (const m of publicMethods(classOf(vhost, 'VirtualHost'))) {
    const name = m.name.getText(vhost);
    if (!names.has(name)) continue;
    const body = m.body?.statements ?? ts.factory.createNodeArray();
    const only = body.length === 1 ? body[0]! : undefined;
    const call = only && (ts.isReturnStatement(only) ? only.expression : ts.isExpressionStatement(only) ? only.expression : undefined);
    const params = m.parameters.map((p) => p.name.getText(vhost));
    const ok =
      call !== undefined &&
      ts.isCallExpression(call) &&
      call.expression.getText(vhost) === `this.routing.${name}` &&
      call.arguments.map((a) => a.getText(vhost)).join(',') === params.join(',');
    if (!ok) out.push(name);
  }
  return out;
}

/** Calls in `source` of a publish-path step: deduplication, routing through an exchange's router (now or later), enqueueing, making a dead-lettered copy, collecting destinations. */
function publishPathCalls(source: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      const callee = n.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (['route', 'routeLater', 'isDuplicate', 'enqueue', 'deadLetteredMessage', 'isDeadLetterCycle', 'RouteSet'].includes(name)) out.push(n.getText(source).slice(0, 80));
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return out;
}

const relativeImports = (source: ts.SourceFile): string[] =>
  source.statements.filter((s): s is ts.ImportDeclaration => ts.isImportDeclaration(s)).map((s) => (s.moduleSpecifier as ts.StringLiteral).text);

describe('vhost split: topology in vhost.ts, the publish path in routing.ts', () => {
  const vhost = parse(join(BROKER, 'vhost.ts'));
  const routing = parse(join(BROKER, 'routing.ts'));

  it("hands each of Routing's methods that VirtualHost offers to this.routing in one statement", () => {
    expect(undelegated(vhost, routing)).toEqual([]);
    // Something is checked: VirtualHost does offer publish and deadLetter.
    expect(publicMethods(classOf(vhost, 'VirtualHost')).map((m) => m.name.getText(vhost))).toEqual(expect.arrayContaining(['publish', 'deadLetter']));
  });

  it('routes, enqueues and dead-letters nothing in vhost.ts, and imports none of the publish-path helpers', () => {
    expect(publishPathCalls(vhost)).toEqual([]);
    expect(relativeImports(vhost).filter((s) => /(^|\/)(route-set|dead-letter)\.js$/.test(s))).toEqual([]);
    // The same scan finds the publish path where it is.
    expect(publishPathCalls(routing).length).toBeGreaterThan(0);
  });

  it('keeps routing.ts free of the VirtualHost', () => {
    expect(relativeImports(routing).filter((s) => /(^|\/)vhost\.js$/.test(s))).toEqual([]);
  });

  it('(the checks themselves) catch a publish written in the vhost', () => {
    const fake = parse(
      'vhost.ts',
      `class VirtualHost {
        publish(exchange: Exchange, message: Message) { const set = new RouteSet(); exchange.router.route(message, set); return this.routing.publish(exchange, message); }
        deadLetter(queue: Queue, message: Message, reason: R) { this.routing.deadLetter(queue, message, reason); }
        addReplyTarget(name: string, target: T) { this.routing.addReplyTarget(target, name); }
      }`,
    );
    expect(undelegated(fake, routing)).toEqual(['publish', 'addReplyTarget']);
    expect(publishPathCalls(fake)).toHaveLength(2);
  });
});
