// What every `warren ctl` command shares: its options, the Command shape, rabbitmqctl's value rendering and argument parsing.
import type { Output } from '../diagnostics.js';
import type { ManagementClient } from '../management-client.js';
import { CliError } from '../settings.js';

export type Row = Record<string, unknown>;

/** rabbitmqctl's rendering: strings bare, lists in brackets, maps as lists of `{"key",value}` tuples. */
export function renderValue(v: unknown, nested = false): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return nested ? JSON.stringify(v) : v.replace(/[\t\n]/g, ' ');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => renderValue(x, nested)).join(', ')}]`;
  return `[${Object.entries(v as Row).map(([k, x]) => `{${JSON.stringify(k)},${renderValue(x, true)}}`).join(',')}]`;
}

export interface CtlOptions {
  vhost: string | undefined;
  quiet: boolean;
  tableHeaders: boolean;
  ifEmpty: boolean;
  ifUnused: boolean;
  /** list_vhost_limits / list_user_limits `--global`: every vhost's or user's limits. */
  global?: boolean;
  /** list_user_limits `--user USER` (default: the user the command logs in as). */
  user?: string | undefined;
  /** set_policy / set_operator_policy `--priority N` (default 0). */
  priority?: string | undefined;
  /** set_policy / set_operator_policy `--apply-to T` (default all). */
  applyTo?: string | undefined;
}

export interface Command {
  readonly usage: string;
  readonly args: number | [number, number];
  readonly run: (api: ManagementClient, args: string[], o: CtlOptions, io: Output) => Promise<void>;
}

export const vhostOf = (api: ManagementClient, o: CtlOptions): string => o.vhost ?? api.target.vhost;
export const info = (o: CtlOptions, io: Output, line: string) => {
  if (!o.quiet) io.out(line);
};
export const noVhost = (v: string) => `vhost '${v}' does not exist`;

/** A JSON argument (a policy definition, a parameter value), refused as rabbitmqctl refuses it. */
export function jsonArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError('JSON decoding error. Reason: badarg', 64);
  }
}

/** A value as rabbitmqctl prints it in its lists: compact JSON. */
export const jsonText = (v: unknown) => JSON.stringify(v ?? null);

/** The reason of a 400, without RabbitMQ's HTML escaping. */
export function unescaped(e: unknown): never {
  if (e instanceof CliError) throw new CliError(e.message.replace(/^PUT \S+: 400 /, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trimEnd(), e.exitCode);
  throw e;
}
