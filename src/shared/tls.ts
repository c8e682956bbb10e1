// TLS settings as rabbitmq.conf writes them (`ssl_options.*`, `management.ssl.*`), turned into node:tls server options,
// and what a TLS socket tells about its peer (for SASL EXTERNAL and the management API).
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureVersion, type TlsOptions } from 'node:tls';

/** A TLS listener as rabbitmq.conf describes it (`listeners.ssl.default` + `ssl_options.*`, or `management.ssl.*`). */
export interface TlsSettings {
  /** Listener port (0 picks a free one; -1 turns the listener off). Default 5671 for AMQP, 15671 for management. */
  port?: number;
  /** Listen address; default: the plain listener's. */
  host?: string;
  /**
   * `ssl_options.*` as written: `certfile`, `keyfile`, `cacertfile` (paths, or PEM text), `password`,
   * `verify` (`verify_peer` | `verify_none`), `fail_if_no_peer_cert` (`true` | `false`), `versions.N`, `ciphers.N`,
   * `honor_cipher_order`.
   */
  options?: Record<string, string>;
  /** PEM contents; win over `certfile` / `keyfile` / `cacertfile`. */
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
}

/** A TLS listener ready to start: node's options and how client certificates are checked. */
export interface ServerTls {
  readonly options: TlsOptions;
  /** `verify = verify_peer`: a client certificate is asked for, and one that is presented must verify. */
  readonly verifyPeer: boolean;
  /** `fail_if_no_peer_cert = true`: a client without a certificate fails the handshake. */
  readonly failIfNoPeerCert: boolean;
  /** Keys Warren does not apply, to log. */
  readonly warnings: string[];
}

/** How long a TLS handshake may take before the socket is dropped (node's default is two minutes). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

const TLS_VERSIONS: Record<string, SecureVersion> = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': 'TLSv1.1', tlsv1: 'TLSv1' };
const VERSION_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** Keys applied; anything else under ssl_options is logged as ignored. */
const KNOWN = new Set(['certfile', 'keyfile', 'cacertfile', 'password', 'verify', 'fail_if_no_peer_cert', 'honor_cipher_order']);

/** True when the settings ask for a listener: a port that is not off, or a certificate. */
export function tlsWanted(s: TlsSettings | undefined): s is TlsSettings {
  if (s === undefined || (s.port !== undefined && s.port < 0)) return false;
  return s.port !== undefined || s.cert !== undefined || s.options?.certfile !== undefined;
}

/**
 * Builds node's server options from the settings, reading the files; throws an Error naming the key when the
 * certificate or key is missing or unreadable or the combination is invalid. `fallback` supplies the
 * certificate, key and CA when `settings` names none (the management listener reuses the AMQP one's).
 * `what` prefixes messages (`TLS`, `management TLS`).
 */
export function serverTls(settings: TlsSettings, what: string, fallback?: TlsSettings): ServerTls {
  const o = settings.options ?? {};
  const useFallback = settings.cert === undefined && o.certfile === undefined && fallback !== undefined;
  const src = useFallback ? fallback : settings;
  const so = src.options ?? {};
  const pem = (value: string | Buffer | undefined, key: string): string | Buffer | undefined => {
    if (value !== undefined) return value;
    const v = so[key];
    if (v === undefined) return undefined;
    if (v.includes('-----BEGIN')) return v;
    try {
      return readFileSync(v);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`${what}: cannot read ${key} ${v}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  };
  const cert = pem(src.cert, 'certfile');
  const key = pem(src.key, 'keyfile');
  const ca = src.ca ?? pem(undefined, 'cacertfile');
  if (cert === undefined || key === undefined) throw new Error(`${what}: a certificate and a private key are needed (certfile and keyfile, or --tls-cert and --tls-key)`);

  const verify = o.verify ?? 'verify_none';
  if (verify !== 'verify_peer' && verify !== 'verify_none') throw new Error(`${what}: verify: expected verify_peer or verify_none, got '${verify}'`);
  const failIfNoPeerCert = o.fail_if_no_peer_cert === 'true';
  if (o.fail_if_no_peer_cert !== undefined && o.fail_if_no_peer_cert !== 'true' && o.fail_if_no_peer_cert !== 'false') {
    throw new Error(`${what}: fail_if_no_peer_cert: expected true or false, got '${o.fail_if_no_peer_cert}'`);
  }
  const verifyPeer = verify === 'verify_peer';
  if (failIfNoPeerCert && !verifyPeer) throw new Error(`${what}: fail_if_no_peer_cert = true needs verify = verify_peer`);

  const options: TlsOptions = {
    cert,
    key,
    requestCert: verifyPeer,
    // With fail_if_no_peer_cert node refuses a missing or unverifiable certificate in the handshake; without it the
    // listener drops a presented certificate that does not verify itself (as Erlang's verify_peer does).
    rejectUnauthorized: failIfNoPeerCert,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
  if (ca !== undefined) options.ca = ca;
  const passphrase = so.password ?? o.password;
  if (passphrase !== undefined) options.passphrase = passphrase;
  if (o.honor_cipher_order === 'true') options.honorCipherOrder = true;

  const warnings: string[] = [];
  const versions: SecureVersion[] = [];
  const ciphers: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('versions.')) {
      const ver = TLS_VERSIONS[v.toLowerCase()];
      if (ver === undefined) throw new Error(`${what}: ${k}: expected tlsv1.2, tlsv1.3, tlsv1.1 or tlsv1, got '${v}'`);
      versions.push(ver);
    } else if (k.startsWith('ciphers.')) {
      ciphers.push(v);
    } else if (!KNOWN.has(k)) {
      warnings.push(`${what}: ${k} is not supported and was ignored`);
    }
  }
  if (versions.length > 0) {
    const sorted = versions.sort((a, b) => VERSION_ORDER.indexOf(a) - VERSION_ORDER.indexOf(b));
    options.minVersion = sorted[0]!;
    options.maxVersion = sorted[sorted.length - 1]!;
  }
  if (ciphers.length > 0) options.ciphers = ciphers.join(':');
  try {
    createSecureContext(options);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  return { options, verifyPeer, failIfNoPeerCert, warnings };
}

/** How SASL EXTERNAL names the user: RabbitMQ's `ssl_cert_login_from`. */
export type CertLoginFrom = 'common_name' | 'distinguished_name';

/**
 * The user a TLS peer's verified certificate names (the subject's single CN, or its RFC 4514 distinguished name);
 * undefined on a plain socket, without a certificate, or when the certificate did not verify.
 */
export function peerCertificateUser(socket: Socket, from: CertLoginFrom): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) return undefined;
  if (from === 'distinguished_name') return rfc4514(x509.subject);
  const cn: unknown = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/** node's subject text (one RDN a line, in certificate order, values escaped as RFC 2253) as RFC 4514 (reversed, commas). */
function rfc4514(subject: string): string {
  return subject.split('\n').filter((l) => l !== '').reverse().join(',');
}

/** What the management API shows for a connection's TLS (`ssl`, `ssl_protocol`, `peer_cert_subject`, …). */
export interface TlsInfo {
  ssl: boolean;
  ssl_protocol: string | null;
  ssl_cipher: string | null;
  peer_cert_subject: string | null;
  peer_cert_issuer: string | null;
  peer_cert_validity: string | null;
}

export function tlsInfo(socket: Socket): TlsInfo {
  if (!(socket instanceof TLSSocket)) {
    return { ssl: false, ssl_protocol: null, ssl_cipher: null, peer_cert_subject: null, peer_cert_issuer: null, peer_cert_validity: null };
  }
  const x509 = socket.getPeerX509Certificate();
  return {
    ssl: true,
    ssl_protocol: socket.getProtocol()?.toLowerCase() ?? null,
    ssl_cipher: socket.getCipher()?.name ?? null,
    peer_cert_subject: x509 ? rfc4514(x509.subject) : null,
    peer_cert_issuer: x509 ? rfc4514(x509.issuer) : null,
    peer_cert_validity: x509 ? `${new Date(x509.validFrom).toISOString()} - ${new Date(x509.validTo).toISOString()}` : null,
  };
}
