// Users as the API and definitions show them (RabbitMQ's salted hashes, tags as a list) and built from their JSON.
import { randomBytes } from 'node:crypto';
import type { User } from '../broker/index.js';
import { DEFAULT_HASHING_ALGORITHM, HASHING_ALGORITHMS, hashPassword, type PasswordHash } from '../broker/password-hash.js';
import { DefinitionsError } from './errors.js';

/** A plaintext user's hash is made once per user object, so repeated exports agree. */
const hashes = new WeakMap<User, PasswordHash>();

export function passwordHashOf(u: User): PasswordHash {
  if (u.passwordHash) return u.passwordHash;
  let h = hashes.get(u);
  if (!h) hashes.set(u, (h = hashPassword(u.password ?? '')));
  return h;
}

/** A user as the API and definitions show it, with its limits (`{"max-connections": 10}`, or `{}`). */
export function userJson(u: User, limits: Record<string, number> = {}): Record<string, unknown> {
  const h = passwordHashOf(u);
  return { name: u.name, password_hash: h.hash, hashing_algorithm: h.algorithm, tags: [...u.tags], limits };
}

/** Tags as a list, from a list or RabbitMQ's older comma-separated string. */
export function parseTags(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (Array.isArray(v) && v.every((t) => typeof t === 'string')) return v.map((t: string) => t.trim()).filter((t) => t !== '');
  throw new DefinitionsError('tags must be a list of strings or a comma-separated string');
}

/**
 * Builds a user from API or definitions JSON: `password` (hashed here) or `password_hash` with
 * `hashing_algorithm`. With neither, as RabbitMQ: an existing user's password is cleared (only other
 * mechanisms can log it in) and a new user gets a random one nobody knows.
 */
export function userFromJson(name: string, body: Record<string, unknown>, existing: User | undefined): User {
  if (name === '') throw new DefinitionsError('user name must not be empty');
  const tags = body.tags === undefined && existing ? [...existing.tags] : parseTags(body.tags);
  const { password, password_hash: hash, hashing_algorithm: algorithm } = body;
  if (password !== undefined) {
    if (typeof password !== 'string') throw new DefinitionsError('password must be a string');
    return { name, passwordHash: hashPassword(password), tags };
  }
  if (hash !== undefined) {
    if (typeof hash !== 'string') throw new DefinitionsError('password_hash must be a string');
    const alg = algorithm === undefined ? DEFAULT_HASHING_ALGORITHM : algorithm;
    if (typeof alg !== 'string' || HASHING_ALGORITHMS[alg] === undefined) throw new DefinitionsError(`unsupported hashing algorithm: ${String(alg)}`);
    if (hash !== '' && Buffer.from(hash, 'base64').length <= 4) throw new DefinitionsError(`invalid password_hash for user '${name}'`);
    return { name, passwordHash: { algorithm: alg, hash }, tags };
  }
  if (existing) return { name, passwordHash: { algorithm: DEFAULT_HASHING_ALGORITHM, hash: '' }, tags };
  return { name, passwordHash: hashPassword(randomBytes(24).toString('base64')), tags };
}
