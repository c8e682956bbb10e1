// The management HTTP API as the cases use it: one JSON call, and a fresh vhost of a case file's own with its policies.
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { expect, inject } from 'vitest';
import { closeAllAmqp, connect } from './amqp.js';
import { withVhost } from './urls.js';

/** A management API answer: the status and the parsed JSON body (undefined when the body is empty). */
export interface ApiReply {
  status: number;
  json: any;
}

export interface CallOptions {
  /** The management API's base URL; the broker under test's unless told. */
  base?: string;
  user?: string;
  pass?: string;
}

/** Sends `method path` with a JSON `body` as guest (or `opts.user`) and returns the status and parsed JSON. */
export async function callApi(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<ApiReply> {
  const auth = 'Basic ' + Buffer.from(`${opts.user ?? 'guest'}:${opts.pass ?? 'guest'}`).toString('base64');
  const headers = { authorization: auth, 'content-type': 'application/json' };
  const res = await fetch((opts.base ?? inject('managementUrl')) + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

/** Which policies a call sets: user policies, or operator policies. */
export type PolicyKind = 'policies' | 'operator-policies';

/** A vhost of one case file (`prefix-<random>`), made with guest's full permissions and removed at the end. */
export interface CaseVhost {
  name: string;
  /** The name percent-encoded for a URL path. */
  encoded: string;
  /** Creates the vhost and gives guest configure/write/read on it. */
  create(): Promise<void>;
  /** Deletes the vhost (and all in it). */
  remove(): Promise<void>;
  /** create(), then a connection to the vhost with a channel and a confirm channel (for beforeAll). */
  open(): Promise<{ conn: ChannelModel; ch: Channel; pub: ConfirmChannel }>;
  /** Closes every connection the case opened and removes the vhost (for afterAll). */
  close(): Promise<void>;
  /** Sets (creates or replaces) a policy in this vhost; `extra` holds apply-to, priority. */
  setPolicy(name: string, pattern: string, definition: Record<string, unknown>, extra?: Record<string, unknown>, kind?: PolicyKind): Promise<void>;
  /** Deletes a policy of this vhost (it must exist). */
  clearPolicy(name: string, kind?: PolicyKind): Promise<void>;
}

export function caseVhost(prefix: string): CaseVhost {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const encoded = encodeURIComponent(name);
  const vh: CaseVhost = {
    name,
    encoded,
    async create() {
      expect((await callApi('PUT', `/api/vhosts/${encoded}`, {})).status).toBe(201);
      expect([201, 204]).toContain((await callApi('PUT', `/api/permissions/${encoded}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
    },
    async remove() {
      await callApi('DELETE', `/api/vhosts/${encoded}`);
    },
    async open() {
      await vh.create();
      const conn = await connect(withVhost(name));
      return { conn, ch: await conn.createChannel(), pub: await conn.createConfirmChannel() };
    },
    async close() {
      await closeAllAmqp();
      await vh.remove();
    },
    async setPolicy(policy, pattern, definition, extra = {}, kind = 'policies') {
      expect([201, 204]).toContain((await callApi('PUT', `/api/${kind}/${encoded}/${policy}`, { pattern, definition, ...extra })).status);
    },
    async clearPolicy(policy, kind = 'policies') {
      expect((await callApi('DELETE', `/api/${kind}/${encoded}/${policy}`)).status).toBe(204);
    },
  };
  return vh;
}
