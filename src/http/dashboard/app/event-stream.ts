// A server-sent-events reader over fetch (EventSource cannot send the dashboard's Basic Authorization header):
// opens a management API stream, hands each event's name and parsed JSON data to the caller, aborts on request.
import { ApiError } from './api.js';
import { state } from './state.js';

export interface EventStream {
  /** Stops reading and closes the connection (the broker then drops its watch). */
  close(): void;
  /** Settles when the stream ends: resolved when closed by either side, rejected with an ApiError when refused. */
  readonly done: Promise<void>;
}

/** Opens `api/<path>` as text/event-stream; `onEvent` gets each event (default name 'message') with its JSON data. */
export function openEventStream(path: string, onEvent: (name: string, data: unknown) => void): EventStream {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (state.auth) headers['authorization'] = 'Basic ' + state.auth;

  const dispatch = (block: string): void => {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      parsed = data.join('\n');
    }
    onEvent(name, parsed);
  };

  const run = async (): Promise<void> => {
    let res: Response;
    try {
      res = await fetch('api' + path, { headers, cache: 'no-store', credentials: 'omit', signal: abort.signal });
    } catch {
      if (abort.signal.aborted) return;
      throw new ApiError(0, 'cannot reach the broker');
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let reason = res.status + ' ' + res.statusText;
      try {
        const o = JSON.parse(text) as { reason?: unknown };
        if (typeof o.reason === 'string' && o.reason !== '') reason = o.reason;
      } catch {
        // The status line then.
      }
      throw new ApiError(res.status, reason);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          dispatch(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      throw err;
    }
  };

  return { close: () => abort.abort(), done: run() };
}
