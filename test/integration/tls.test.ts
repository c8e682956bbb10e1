// TLS: amqps beside the plain listener, client certificates (verify_peer, fail_if_no_peer_cert), SASL EXTERNAL from the
// certificate, and the management API over HTTPS. Certificates are made with openssl in a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { args, ArgsReader, HandshakeRefusedError, PROTOCOL_HEADER, rawConnect, RawConnection } from '../../conformance/support/raw.js';
import { parseConfig } from '../../src/cli/config-file.js';
import { resolveSettings } from '../../src/cli/settings.js';
import { startBroker, type RunningBroker, type StartOptions } from '../../src/index.js';
import { cleanup, startWarren } from './cli-support.js';

interface Pems {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

let dir = '';
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));
let pems: Pems;
let a: RunningBroker;
let b: RunningBroker;
const dataDirs: string[] = [];

/** A CA; a server certificate for localhost; client certificates for tls-user, for a user that does not exist, and from another CA. */
function makeCertificates(): void {
  const openssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string, cn: string) =>
    openssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  let serial = 1000;
  const leaf = (name: string, subject: string, ext: string, signer = 'ca') => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(file(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-set_serial', String(serial++), '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };
  ca('ca', 'Warren Test CA');
  leaf('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', '/O=Warren tests/CN=tls-user', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', '/CN=stranger', 'extendedKeyUsage=clientAuth\n');
  ca('rogue-ca', 'Rogue CA');
  leaf('rogue', '/CN=tls-user', 'extendedKeyUsage=clientAuth\n', 'rogue-ca');
}

async function start(opts: StartOptions): Promise<RunningBroker> {
  const data = mkdtempSync(join(tmpdir(), 'warren-tls-data-'));
  dataDirs.push(data);
  return startBroker({ port: 0, dataDir: data, logLevel: process.env.WARREN_TEST_LOG ?? 'silent', ...opts });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  makeCertificates();
  pems = { ca: pem('ca.pem'), serverCert: pem('server.pem'), serverKey: pem('server.key'), clientCert: pem('client.pem'), clientKey: pem('client.key') };
  // A: certificate files, verify_peer (a client certificate is asked for, not required), management over HTTP and HTTPS.
  a = await start({
    tls: { port: 0, options: { certfile: file('server.pem'), keyfile: file('server.key'), cacertfile: file('ca.pem'), verify: 'verify_peer' } },
    managementPort: 0,
    managementTls: { port: 0 },
  });
  a.broker.users.set('tls-user', { name: 'tls-user', password: 'not-used-by-external', tags: [] });
  // B: PEM contents, verify_peer + fail_if_no_peer_cert, EXTERNAL users named by the certificate's distinguished name.
  b = await start({
    tls: { port: 0, cert: pems.serverCert, key: pems.serverKey, ca: pems.ca, options: { verify: 'verify_peer', fail_if_no_peer_cert: 'true' } },
    sslCertLoginFrom: 'distinguished_name',
  });
  b.broker.users.set('CN=tls-user,O=Warren tests', { name: 'CN=tls-user,O=Warren tests', password: 'x', tags: [] });
});

afterAll(async () => {
  cleanup();
  await a?.close();
  await b?.close();
  for (const d of [dir, ...dataDirs]) rmSync(d, { recursive: true, force: true });
});

const amqps = (broker: RunningBroker, creds = 'guest:guest@') => `amqps://${creds}localhost:${broker.tlsPort}`;
const withClientCert = (name = 'client') => ({ ca: [pems.ca], cert: pem(`${name}.pem`), key: pem(`${name}.key`) });

/** Publishes one message to a fresh exclusive queue and gets it back. */
async function roundTrip(conn: amqp.ChannelModel, text: string): Promise<string | undefined> {
  const ch = await conn.createChannel();
  const q = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(q.queue, Buffer.from(text));
  for (let i = 0; i < 50; i++) {
    const m = await ch.get(q.queue, { noAck: true });
    if (m) return m.content.toString();
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** TLS socket to a broker's amqps port, after the handshake. */
function tlsSocket(broker: RunningBroker, opts: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: 'localhost', servername: 'localhost', port: broker.tlsPort!, ...opts }, () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Sends the protocol header over `s` and returns the mechanisms connection.start offers, with the raw connection. */
async function startHandshake(s: TLSSocket): Promise<{ c: RawConnection; mechanisms: string[] }> {
  const c = new RawConnection(s);
  c.sendRaw(PROTOCOL_HEADER);
  const start = await c.expectMethod(10, 10);
  const r = new ArgsReader(start.method!.args);
  r.octet();
  r.octet();
  r.table();
  return { c, mechanisms: r.longstr().split(' ') };
}

function startOkExternal(c: RawConnection): void {
  c.sendMethod(0, 10, 11, args().table({ capabilities: { authentication_failure_close: true } }).shortstr('EXTERNAL').longstr('').shortstr('en_US').build());
}

function httpsGet(port: number, path: string, ca: Buffer): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', port, path, ca, auth: 'guest:guest' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: body === '' ? undefined : JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  it('serves amqps: amqplib publishes and gets a message over TLS', async () => {
    expect.hasAssertions();
    expect(a.tlsPort).toBeGreaterThan(0);
    expect(a.tlsPort).not.toBe(a.port);
    const conn = await amqp.connect(amqps(a), { ca: [pems.ca] });
    expect(await roundTrip(conn, 'over tls')).toBe('over tls');
    await conn.close();
  });

  it('keeps the plain listener working alongside', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(a.url);
    expect(await roundTrip(conn, 'in the clear')).toBe('in the clear');
    await conn.close();
  });

  it('logs in with SASL EXTERNAL as the client certificate names (CN by default), without a password', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(amqps(a, ''), { ...withClientCert(), credentials: amqp.credentials.external() });
    expect(await roundTrip(conn, 'external')).toBe('external');
    const server = [...a.server.connections].find((c) => c.authMechanism === 'EXTERNAL');
    expect(server?.username).toBe('tls-user');
    await conn.close();
  });

  it('offers EXTERNAL only with a verified client certificate, and refuses it otherwise with 403', async () => {
    expect.hasAssertions();
    // amqplib sees EXTERNAL missing from connection.start and gives up.
    await expect(amqp.connect(amqps(a, ''), { ca: [pems.ca], credentials: amqp.credentials.external() })).rejects.toThrow(/EXTERNAL is not provided/);
    await expect(amqp.connect(`amqp://localhost:${a.port}`, { credentials: amqp.credentials.external() })).rejects.toThrow(/EXTERNAL is not provided/);

    const withCert = await startHandshake(await tlsSocket(a, withClientCert()));
    expect(withCert.mechanisms).toContain('EXTERNAL');
    withCert.c.destroy();

    // A client that sends EXTERNAL anyway, over TLS without a certificate and over plain TCP: ACCESS_REFUSED.
    const noCert = await startHandshake(await tlsSocket(a, { ca: [pems.ca] }));
    expect(noCert.mechanisms).toEqual(['AMQPLAIN', 'PLAIN']);
    startOkExternal(noCert.c);
    const close = await noCert.c.expectConnectionClose();
    expect(close.replyCode).toBe(403);
    expect(close.replyText).toBe('ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.');
    noCert.c.destroy();

    const plain = rawConnect({ url: `amqp://localhost:${a.port}`, mechanism: 'EXTERNAL', response: Buffer.alloc(0) });
    await expect(plain).rejects.toBeInstanceOf(HandshakeRefusedError);
    await expect(plain).rejects.toMatchObject({ close: { replyCode: 403 } });
  });

  it('refuses EXTERNAL for a certificate naming a user that does not exist', async () => {
    expect.hasAssertions();
    await expect(amqp.connect(amqps(a, ''), { ...withClientCert('stranger'), credentials: amqp.credentials.external() })).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('with verify_peer, drops a client certificate that does not chain to the CA', async () => {
    expect.hasAssertions();
    const before = a.server.connections.size;
    // PLAIN with good credentials: only the certificate is wrong.
    await expect(amqp.connect(amqps(a), withClientCert('rogue'))).rejects.toThrow();
    expect(a.server.connections.size).toBe(before);
  });

  it('with fail_if_no_peer_cert, refuses a client without a certificate at the TLS handshake', async () => {
    expect.hasAssertions();
    await expect(amqp.connect(amqps(b), { ca: [pems.ca] })).rejects.toThrow();
    // At the TLS layer: the server's alert arrives before any AMQP byte, and no AMQP connection ever exists.
    const s = await tlsSocket(b, { ca: [pems.ca] });
    const received: Buffer[] = [];
    s.on('data', (d: Buffer) => received.push(d));
    const failure = new Promise<Error | undefined>((resolve) => {
      s.once('error', (e) => resolve(e));
      s.once('close', () => resolve(undefined));
    });
    s.write(PROTOCOL_HEADER);
    const err = await failure;
    // Usually the TLS 1.3 alert "certificate required"; a reset may win the race.
    expect(err?.message ?? 'closed').toMatch(/certificate required|handshake failure|closed|ECONNRESET|EPIPE/);
    expect(received).toEqual([]);
    expect(b.server.connections.size).toBe(0);
  });

  it('with fail_if_no_peer_cert, accepts a client certificate (EXTERNAL by distinguished name when so configured)', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(amqps(b, ''), { ...withClientCert(), credentials: amqp.credentials.external() });
    expect(await roundTrip(conn, 'mutual')).toBe('mutual');
    expect([...b.server.connections].map((c) => c.username)).toContain('CN=tls-user,O=Warren tests');
    await conn.close();
    // PLAIN works too once the certificate is presented.
    const plain = await amqp.connect(amqps(b), withClientCert());
    expect(await roundTrip(plain, 'plain over mutual tls')).toBe('plain over mutual tls');
    await plain.close();
  });

  it('serves the management API over HTTPS, listing the TLS listeners and connections', async () => {
    expect.hasAssertions();
    const httpsPort = a.managementTlsPort!;
    expect(httpsPort).toBeGreaterThan(0);
    const conn = await amqp.connect(amqps(a), { ca: [pems.ca], clientProperties: { connection_name: 'tls-listed' } });
    const overview = await httpsGet(httpsPort, '/api/overview', pems.ca);
    expect(overview.status).toBe(200);
    expect(overview.json.product_name).toBe('Warren');
    expect(overview.json.listeners).toEqual(
      expect.arrayContaining([expect.objectContaining({ protocol: 'amqp/ssl', port: a.tlsPort }), expect.objectContaining({ protocol: 'https', port: httpsPort })]),
    );
    const conns = await httpsGet(httpsPort, '/api/connections', pems.ca);
    const listed = (conns.json as Array<Record<string, unknown>>).find((c) => c.user_provided_name === 'tls-listed');
    expect(listed).toMatchObject({ ssl: true, ssl_protocol: expect.stringMatching(/^tlsv1\.[23]$/) });
    // Plain HTTP still answers on its own port.
    const plain = await fetch(`http://localhost:${a.managementPort}/api/overview`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
    expect(plain.status).toBe(200);
    await conn.close();
  });

  it('reads TLS from flags, environment and rabbitmq.conf keys, merged key by key', () => {
    const conf = join(dir, 'tls.conf');
    writeFileSync(
      conf,
      [
        'listeners.ssl.default = 5671',
        `ssl_options.cacertfile = ${file('ca.pem')}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
        'ssl_cert_login_from = distinguished_name',
        'management.ssl.port = 15671',
        `management.ssl.certfile = ${file('server.pem')}`,
        `management.ssl.keyfile = ${file('server.key')}`,
      ].join('\n'),
    );
    const r = resolveSettings({ config: conf, 'tls-cert': file('server.pem'), 'tls-port': '0' }, { WARREN_TLS_KEY: file('server.key') });
    expect(r.warnings).toEqual([]);
    expect(r.options.tls).toEqual({
      port: 0,
      options: { cacertfile: file('ca.pem'), verify: 'verify_peer', fail_if_no_peer_cert: 'true', certfile: file('server.pem'), keyfile: file('server.key') },
    });
    expect(r.options.sslCertLoginFrom).toBe('distinguished_name');
    expect(r.options.managementTls).toEqual({ port: 15671, options: { certfile: file('server.pem'), keyfile: file('server.key') } });
    // As RabbitMQ: with an HTTPS listener configured, plain HTTP is off unless configured too.
    expect(r.options.managementPort).toBe(-1);
    expect(resolveSettings({ config: conf, 'management-port': '15672' }, {}).options.managementPort).toBe(15672);
    expect(() => parseConfig('ssl_options.verify = sometimes', 'x')).toThrow(/verify_peer or verify_none/);
    expect(() => resolveSettings({ 'tls-fail-if-no-peer-cert': 'yes' }, {})).toThrow(/--tls-fail-if-no-peer-cert/);
  });

  it('starts amqps and HTTPS management from the warren command line', async () => {
    expect.hasAssertions();
    const w = await startWarren(['--tls-port', '0', '--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--management-tls-port', '0']);
    const tlsPort = w.line.tlsPort as number;
    expect(tlsPort).toBeGreaterThan(0);
    const conn = await amqp.connect(`amqps://localhost:${tlsPort}`, { ca: [pems.ca] });
    expect(await roundTrip(conn, 'cli')).toBe('cli');
    await conn.close();
    const overview = await httpsGet(w.line.managementTlsPort as number, '/api/overview', pems.ca);
    expect(overview.status).toBe(200);
  });

  it('refuses to start with a missing key, an unreadable file or fail_if_no_peer_cert without verify_peer', async () => {
    expect.hasAssertions();
    await expect(start({ tls: { port: 0, options: { certfile: file('server.pem') } } })).rejects.toThrow(/TLS: a certificate and a private key are needed/);
    await expect(start({ tls: { port: 0, options: { certfile: file('nope.pem'), keyfile: file('server.key') } } })).rejects.toThrow(/TLS: cannot read certfile .*nope\.pem: no such file/);
    await expect(start({ tls: { port: 0, cert: pems.serverCert, key: pems.clientKey } })).rejects.toThrow(/^TLS: .*key values mismatch/);
    await expect(start({ tls: { port: 0, cert: pems.serverCert, key: pems.serverKey, options: { fail_if_no_peer_cert: 'true' } } })).rejects.toThrow(/needs verify = verify_peer/);
    // Turned off: no TLS listener.
    const off = await start({ tls: { port: -1, cert: pems.serverCert, key: pems.serverKey } });
    expect(off.tlsPort).toBeUndefined();
    await off.close();
  });
});
