// The one protocol error type: raised by name anywhere, mapped to channel.close or connection.close in one place.

/** Reply codes and their RabbitMQ names; hard ones close the connection. */
export const REPLY = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

export type ReplyName = keyof typeof REPLY;

const SOFT = new Set<number>([311, 312, 313, 403, 404, 405, 406]);

/** True when the code closes only the channel. */
function isSoftCode(code: number): boolean {
  return SOFT.has(code);
}

/** A protocol error: `name` is RabbitMQ's (e.g. NOT_FOUND), `detail` the text after the dash. */
export class AmqpError extends Error {
  readonly code: number;
  readonly replyName: ReplyName;
  readonly detail: string;
  /** Method that failed; filled in by the connection when the thrower did not know it. */
  classId: number;
  methodId: number;
  /** Hard errors close the connection, soft ones the channel. */
  readonly hard: boolean;
  /** True once class/method ids are settled (given by the thrower or stamped by the dispatcher). */
  private methodKnown: boolean;

  constructor(name: ReplyName, detail: string, opts: { classId?: number; methodId?: number } = {}) {
    // An empty detail is a bare name (RabbitMQ's 541 INTERNAL_ERROR of a crashed channel).
    super(detail === '' ? name : `${name} - ${detail}`);
    this.name = 'AmqpError';
    this.replyName = name;
    this.code = REPLY[name];
    this.detail = detail;
    this.classId = opts.classId ?? 0;
    this.methodId = opts.methodId ?? 0;
    this.methodKnown = opts.classId !== undefined;
    this.hard = !isSoftCode(this.code);
  }

  /** Records the method being handled when the error was raised, unless the thrower already chose ids. */
  stamp(methodId: number): this {
    if (!this.methodKnown) {
      this.classId = methodId >>> 16;
      this.methodId = methodId & 0xffff;
      this.methodKnown = true;
    }
    return this;
  }

  /** RabbitMQ's reply-text shape, cut to fit a shortstr. */
  get replyText(): string {
    return truncateUtf8(this.message, 255);
  }
}

/** As RabbitMQ: a text over 255 bytes keeps its first 252 and gains "...". */
function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = Buffer.from(s).subarray(0, max - 3).toString('utf8').replace(/\uFFFD$/, '');
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -1);
  return out + '...';
}

const make = (name: ReplyName) => (detail: string) => new AmqpError(name, detail);

/** Stamps the method id onto an AmqpError passing through a method handler; other values pass untouched. */
export function stampMethod(e: unknown, methodId: number): unknown {
  if (e instanceof AmqpError) e.stamp(methodId);
  return e;
}

export const accessRefused = make('ACCESS_REFUSED');
export const notFound = make('NOT_FOUND');
export const resourceLocked = make('RESOURCE_LOCKED');
export const preconditionFailed = make('PRECONDITION_FAILED');
export const frameError = make('FRAME_ERROR');
export const syntaxError = make('SYNTAX_ERROR');
export const commandInvalid = make('COMMAND_INVALID');
export const channelError = make('CHANNEL_ERROR');
export const unexpectedFrame = make('UNEXPECTED_FRAME');
export const resourceError = make('RESOURCE_ERROR');
export const notAllowed = make('NOT_ALLOWED');
export const notImplemented = make('NOT_IMPLEMENTED');
