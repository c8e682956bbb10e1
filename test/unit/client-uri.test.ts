// amqp:// and amqps:// URIs read as RabbitMQ reads them, and the password never shown back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AmqpUriError, connectUri, parseAmqpUri, redactedUri } from '../../src/client/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-uri-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(uri: string): string {
  try {
    parseAmqpUri(uri);
    return 'accepted';
  } catch (e) {
    expect(e).toBeInstanceOf(AmqpUriError);
    return (e as Error).message;
  }
}

describe('AMQP URIs', () => {
  it('reads host, port, credentials and vhost with RabbitMQ defaults and percent-decoding', () => {
    expect(parseAmqpUri('amqp://localhost')).toEqual({ options: { host: 'localhost', port: 5672 }, local: false, redacted: 'amqp://localhost' });
    expect(parseAmqpUri('amqps://broker.example').options).toMatchObject({ host: 'broker.example', port: 5671, tls: { rejectUnauthorized: false } });
    const p = parseAmqpUri('amqp://us%40er:p%3Ass%2Fw@rabbit:5673/my%2fvhost');
    expect(p.options).toEqual({ host: 'rabbit', port: 5673, username: 'us@er', password: 'p:ss/w', vhost: 'my/vhost' });
    expect(p.redacted).toBe('amqp://us%40er@rabbit:5673/my%2fvhost');
    // No path: the default vhost; '/' alone: the vhost named ''.
    expect(parseAmqpUri('amqp://h').options.vhost).toBeUndefined();
    expect(parseAmqpUri('amqp://h/').options.vhost).toBe('');
    expect(parseAmqpUri('amqp://h/%2f').options.vhost).toBe('/');
    expect(parseAmqpUri('amqp://[::1]:5700').options).toEqual({ host: '::1', port: 5700 });
  });

  it('takes an empty host as this broker itself', () => {
    expect(parseAmqpUri('amqp://')).toMatchObject({ local: true, redacted: 'amqp://' });
    expect(parseAmqpUri('amqp:///vh').options.vhost).toBe('vh');
  });

  it("reads RabbitMQ's query parameters, TLS files included", () => {
    const ca = join(dir, 'ca.pem');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(ca, 'CA');
    writeFileSync(cert, 'CERT');
    writeFileSync(key, 'KEY');
    const p = parseAmqpUri(`amqps://u:secret@h?heartbeat=5&frame_max=8192&channel_max=10&connection_timeout=3000&cacertfile=${ca}&certfile=${cert}&keyfile=${key}&verify=verify_peer&server_name_indication=other.example&fail_if_no_peer_cert=true&auth_mechanism=plain`);
    expect(p.options).toMatchObject({ heartbeat: 5, frameMax: 8192, channelMax: 10, timeoutMs: 3000 });
    expect(p.options.tls).toEqual({ ca: [Buffer.from('CA')], cert: Buffer.from('CERT'), key: Buffer.from('KEY'), rejectUnauthorized: true, servername: 'other.example' });
    expect(parseAmqpUri('amqps://h?server_name_indication=disable&verify=verify_none').options.tls).toEqual({ servername: '', rejectUnauthorized: false });
    expect(p.redacted).not.toContain('secret');
  });

  it('refuses bad URIs with one-line errors that never show the password', () => {
    expect(error('http://u:secret@h')).toBe('http://u@h: not an amqp:// or amqps:// URI');
    expect(error('amqp://u:secret@h:99999')).toBe('amqp://u@h:99999: port 99999 is out of range');
    expect(error('amqp://u:secret@h:x')).toBe("amqp://u@h:x: the port must be a non-negative integer, not 'x'");
    expect(error('amqp://u:secret@h?heartbeat=-1')).toBe("amqp://u@h?heartbeat=-1: heartbeat must be a non-negative integer, not '-1'");
    expect(error('amqp://u:secret@h?bogus=1')).toBe("amqp://u@h?bogus=1: unknown query parameter 'bogus'");
    expect(error('amqp://u:secret@h?verify=verify_peer')).toBe("amqp://u@h?verify=verify_peer: 'verify' is only for amqps:// URIs");
    expect(error('amqps://u:secret@h?verify=maybe')).toBe("amqps://u@h?verify=maybe: verify must be verify_peer or verify_none, not 'maybe'");
    expect(error('amqps://u:secret@h?cacertfile=/no/such/file')).toBe('amqps://u@h?cacertfile=/no/such/file: cannot read cacertfile /no/such/file: ENOENT');
    expect(error('amqp://u:secret@h/a/b')).toBe("amqp://u@h/a/b: a vhost with '/' in it must be written %2f");
    expect(error('amqp://u:secret@h?auth_mechanism=external')).toBe("amqp://u@h?auth_mechanism=external: auth_mechanism 'external' is not supported (only plain)");
    expect(error('amqp://u:secret@h?frame_max=100')).toBe('amqp://u@h?frame_max=100: frame_max must be at least 4096');
    expect(error('amqp://u:%zz@h')).toBe('amqp://u@h: the password is not valid percent-encoding');
  });

  it('redacts any URI-looking string, and does not echo what it cannot parse', () => {
    expect(redactedUri('amqps://guest:guest@localhost:5671/%2f?heartbeat=10')).toBe('amqps://guest@localhost:5671/%2f?heartbeat=10');
    expect(redactedUri('amqp://:pw@h')).toBe('amqp://@h');
    expect(redactedUri('not a uri with secret')).toBe('<unparsable URI>');
  });

  it('connectUri refuses the local URI and opens a socket for the others', async () => {
    await expect(connectUri('amqp://u:secret@/vh')).rejects.toThrow('amqp://u@/vh: a URI without a host means this broker, which has no socket to connect to here');
    await expect(connectUri('amqp://u:secret@127.0.0.1:1?connection_timeout=2000')).rejects.toThrow(/^cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED/);
  });
});
