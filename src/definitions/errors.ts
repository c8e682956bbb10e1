// The one error type of definitions JSON (import files and the bodies http shares the parsers for): http answers it as 400 bad_request.
export class DefinitionsError extends Error {
  /** RabbitMQ's reason: a text, or a JSON term (e.g. `["vhost_limit_exceeded", …]`), sent as the reply's `reason`. */
  readonly reason: unknown;

  constructor(reason: unknown) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason));
    this.reason = reason;
  }
}
