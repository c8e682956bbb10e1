// The dashboard's shared widgets: live tables and stat lists, cards, form fields, status lines, confirm buttons.
import { errorText } from './api.js';
import { h, uid, type Child } from './dom.js';
import { refreshNow } from './state.js';
import type { Arguments } from './types.js';

/** A table column: its text decides when a cell is rewritten; cell() renders it when it is more than text. */
export interface Column<T> {
  id: string;
  label: string;
  text: (row: T) => string | number;
  cell?: (row: T) => Node | string;
  num?: boolean;
  title?: string;
}

/** Drops the columns a view leaves out (written as null). */
export const columnsOf = <T>(columns: readonly (Column<T> | null)[]): Column<T>[] => columns.filter((c): c is Column<T> => c !== null);

const tableSignatures = new WeakMap<HTMLTableElement, string>();
const rowKeys = new WeakMap<HTMLTableRowElement, string>();
const cellTexts = new WeakMap<HTMLTableCellElement, string>();

/**
 * Renders rows into a table, reusing rows by key and rewriting a cell only when its text changes, so links stay
 * clickable and text selections survive polling.
 */
export function renderTable<T>(table: HTMLTableElement, columns: readonly Column<T>[], rows: readonly T[], keyOf: (row: T) => string, emptyText?: string): void {
  const signature = columns.map((c) => c.id).join(',');
  if (tableSignatures.get(table) !== signature) {
    const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, title: c.title }, c.label)));
    table.replaceChildren(h('thead', {}, head), h('tbody'));
    tableSignatures.set(table, signature);
  }
  const body = table.tBodies[0]!;
  const existing = new Map<string, HTMLTableRowElement>();
  for (const tr of [...body.rows]) {
    const key = rowKeys.get(tr);
    if (key === undefined) tr.remove();
    else existing.set(key, tr);
  }
  let previous: HTMLTableRowElement | null = null;
  for (const row of rows) {
    const key = keyOf(row);
    let tr = existing.get(key);
    existing.delete(key);
    if (!tr) {
      tr = h('tr', {}, columns.map((c) => h('td', { 'data-col': c.id, class: c.num ? 'num' : null })));
      rowKeys.set(tr, key);
    }
    columns.forEach((c, i) => {
      const td = tr.cells[i]!;
      const text = String(c.text(row));
      if (cellTexts.get(td) === text) return;
      cellTexts.set(td, text);
      td.replaceChildren(c.cell ? c.cell(row) : text);
    });
    const expected: ChildNode | null = previous ? previous.nextSibling : body.firstChild;
    if (tr !== expected) body.insertBefore(tr, expected);
    previous = tr;
  }
  for (const tr of existing.values()) tr.remove();
  if (rows.length === 0) body.append(h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, emptyText || 'Nothing to show.')));
}

/** A label, its value and the data-stat id tests and styles find it by. */
export type StatItem = readonly [label: string, value: Node | string, id?: string];

/** A <dl> of label/value pairs, rewritten in place. */
export function renderStats(dl: HTMLElement, items: readonly StatItem[]): void {
  dl.replaceChildren(...items.map(([label, value, id]) => h('div', {}, h('dt', {}, label), h('dd', { 'data-stat': id ?? null }, value))));
}

export function card(title: string, ...children: Child[]): HTMLElement {
  const id = uid('card');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

export function checkbox(label: string, checked: boolean): { input: HTMLInputElement; el: HTMLElement } {
  const input = h('input', { type: 'checkbox', checked });
  return { input, el: h('label', { class: 'check' }, input, ' ', label) };
}

export function select(options: readonly (readonly [value: string, label: string])[], value: string): HTMLSelectElement {
  const el = h('select', {}, options.map(([v, label]) => h('option', { value: v }, label)));
  el.value = value;
  return el;
}

export const textInput = (attrs: Record<string, string | boolean> = {}): HTMLInputElement => h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });

export function status(): HTMLElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function setStatus(el: HTMLElement, text: string, kind?: 'ok' | 'warn' | 'error'): void {
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

/** A button that asks for a second click ("Confirm …") before running a destructive action. */
export function confirmButton(label: string, confirmLabel: string, action: () => Promise<void>): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'danger' });
  let timer = 0;
  const reset = (): void => {
    clearTimeout(timer);
    timer = 0;
    button.textContent = label;
    button.classList.remove('armed');
  };
  reset();
  button.addEventListener('click', async () => {
    if (!timer) {
      button.textContent = confirmLabel;
      button.classList.add('armed');
      timer = window.setTimeout(reset, 5000);
      return;
    }
    reset();
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Parses an optional JSON object typed into a form; throws a readable error. */
export function jsonObject(text: string, what: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(what + ' must be JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(what + ' must be a JSON object');
  return v as Record<string, unknown>;
}

/** The flags and arguments of a queue or an exchange. */
export interface Flagged {
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  internal?: boolean;
  arguments?: Arguments;
}

const SHORT_ARGUMENTS: Readonly<Record<string, string>> = {
  'x-message-ttl': 'TTL',
  'x-expires': 'Exp',
  'x-max-length': 'Lim',
  'x-max-length-bytes': 'Lim B',
  'x-dead-letter-exchange': 'DLX',
  'x-dead-letter-routing-key': 'DLK',
  'x-max-priority': 'Pri',
  'x-single-active-consumer': 'SAC',
  'x-overflow': 'Ovfl',
  'x-queue-mode': 'Mode',
  'alternate-exchange': 'AE',
};

/** Badges for a queue's or exchange's flags and arguments, with the full arguments in a tooltip. */
export function features(o: Flagged): HTMLElement {
  const out = h('span', { class: 'features' });
  const add = (text: string, title: string): void => out.append(h('abbr', { class: 'badge', title }, text));
  if (o.durable) add('D', 'durable');
  if (o.auto_delete) add('AD', 'auto-delete');
  if (o.exclusive) add('Excl', 'exclusive');
  if (o.internal) add('I', 'internal');
  for (const [k, v] of Object.entries(o.arguments ?? {})) if (k !== 'x-queue-type') add(SHORT_ARGUMENTS[k] ?? 'Args', k + ': ' + JSON.stringify(v));
  return out;
}

export const featuresOrNone = (o: Flagged): Node | string => {
  const f = features(o);
  return f.childElementCount ? f : 'none';
};

export const featuresText = (o: Flagged): string => JSON.stringify([o.durable, o.auto_delete, o.exclusive, o.internal, o.arguments]);

/** Arguments as compact JSON, or '' when there are none. */
export const argumentsText = (args: Arguments | undefined): string => (Object.keys(args ?? {}).length ? JSON.stringify(args) : '');

export function pageHeader(title: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', {}, title), ...extra);
}

export function crumbs(href: string, label: string, vhost: string): HTMLElement {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href }, '‹ ' + label), ' · virtual host ', h('code', {}, vhost));
}

export function filterInput(label: string, onInput: () => void): HTMLInputElement {
  const input = h('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': label, class: 'filter' });
  input.addEventListener('input', onInput);
  return input;
}

export const matches = (filter: HTMLInputElement, ...texts: unknown[]): boolean => {
  const f = filter.value.trim().toLowerCase();
  return f === '' || texts.some((t) => String(t).toLowerCase().includes(f));
};

/** A table in a flush card that scrolls sideways on narrow screens. */
export const tableCard = (table: HTMLTableElement): HTMLElement => h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table));

/**
 * Runs a form's action on submit: its result text goes to `out` as success, an error as "<failure>: <reason>";
 * the views refresh at once either way. The submit button is disabled while it runs.
 */
export function onSubmit(form: HTMLFormElement, out: HTMLElement, failure: string, action: (button: HTMLButtonElement | null) => Promise<string>): void {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const submitter = (e as SubmitEvent).submitter;
    const button = submitter instanceof HTMLButtonElement ? submitter : form.querySelector<HTMLButtonElement>('button[type=submit]');
    if (button) button.disabled = true;
    try {
      setStatus(out, await action(button), 'ok');
    } catch (err) {
      setStatus(out, failure + ': ' + errorText(err), 'error');
    } finally {
      if (button) button.disabled = false;
      refreshNow();
    }
  });
}

/** A small two-click delete button for a table row; `what` names the object for screen readers. */
export function rowDeleteButton(label: string, what: string, out: HTMLElement, action: () => Promise<string>): HTMLButtonElement {
  const b = confirmButton(label, 'Confirm ' + label.toLowerCase(), async () => {
    try {
      setStatus(out, await action(), 'ok');
    } catch (err) {
      setStatus(out, label + ' failed: ' + errorText(err), 'error');
    }
    refreshNow();
  });
  b.classList.add('small');
  b.setAttribute('aria-description', label + ' ' + what);
  return b;
}

/** Sets a select's options to `values` (first option `placeholder` when given), keeping the chosen value if it is still there. */
export function fillSelect(el: HTMLSelectElement, values: readonly string[], preferred?: string): void {
  const current = el.value;
  if ([...el.options].map((o) => o.value).join('\n') !== values.join('\n')) el.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  if (values.includes(current)) el.value = current;
  else if (preferred !== undefined && values.includes(preferred)) el.value = preferred;
}

/** A form with the dashboard's layout. */
export const form = (...children: Child[]): HTMLFormElement => h('form', { class: 'form', novalidate: true }, ...children);

/** A folded card holding a form (like "Add a queue"). */
export const foldedCard = (summary: string, ...children: Child[]): HTMLElement => h('details', { class: 'card' }, h('summary', {}, summary), ...children);
