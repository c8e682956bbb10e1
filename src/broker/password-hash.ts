// RabbitMQ's salted password hashes (rabbit_password_hashing_sha256 and friends): base64(salt(4) + H(salt + password)).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** RabbitMQ's hashing module names and the digest each uses. */
export const HASHING_ALGORITHMS: Readonly<Record<string, string>> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

export const DEFAULT_HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

/** A stored password hash, as RabbitMQ exports it. */
export interface PasswordHash {
  readonly algorithm: string;
  /** base64(salt + digest); '' means the user has no password (cannot log in with one). */
  readonly hash: string;
}

/** Hashes a password with a fresh 4-byte salt (or the given one). */
export function hashPassword(password: string, algorithm = DEFAULT_HASHING_ALGORITHM, salt: Buffer = randomBytes(4)): PasswordHash {
  const digest = HASHING_ALGORITHMS[algorithm];
  if (digest === undefined) throw new Error(`unknown hashing algorithm '${algorithm}'`);
  const h = createHash(digest).update(salt).update(password, 'utf8').digest();
  return { algorithm, hash: Buffer.concat([salt, h]).toString('base64') };
}

/** True when `password` matches the stored hash. */
export function checkPasswordHash(stored: PasswordHash, password: string): boolean {
  const digest = HASHING_ALGORITHMS[stored.algorithm];
  if (digest === undefined || stored.hash === '') return false;
  const bytes = Buffer.from(stored.hash, 'base64');
  if (bytes.length <= 4) return false;
  const expected = createHash(digest).update(bytes.subarray(0, 4)).update(password, 'utf8').digest();
  const actual = bytes.subarray(4);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
