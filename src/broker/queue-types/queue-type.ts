// What a queue type declares: the arguments it accepts, what it is to policies, its capabilities, its declare-time rules.
import type { PolicyTarget } from '../policies/index.js';
import type { QueueSettings, QueueType } from '../queue-arguments.js';

/** Declared flags a type may refuse. */
export interface QueueDeclareFlags {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
}

/**
 * One queue type (as x-queue-type names it). A queue copies what it needs into plain fields when it is created,
 * so nothing here is looked up per message.
 */
export interface QueueTypeDefinition {
  /** The x-queue-type value and what the management API reports as `type`. */
  readonly name: QueueType;
  /** RabbitMQ's module name in error texts (`rabbit_quorum_queue`). */
  readonly module: string;
  /** queue.declare x-arguments it understands; one understood only by another type is refused. */
  readonly declareArguments: ReadonlySet<string>;
  /** basic.consume x-arguments it understands. */
  readonly consumeArguments: ReadonlySet<string>;
  /**
   * What it is to policies: policies/keys.ts, the one list of policy keys, says which keys apply to this target and
   * which make it skip a policy (keysFor, isApplicable).
   */
  readonly policyTarget: PolicyTarget;
  /** A server-named queue (empty name) may be of this type. */
  readonly serverNamed: boolean;
  /** basic.qos with global=true is allowed on channels consuming from it. */
  readonly globalQos: boolean;
  /** x-max-priority makes it a priority queue. */
  readonly priorities: boolean;
  /**
   * Returns are counted: redeliveries (and every basic.get-ok) carry x-delivery-count, and a message returned more
   * than the delivery limit is dead-lettered (reason delivery_limit).
   */
  readonly countsDeliveries: boolean;
  /**
   * A durable queue of this type keeps every message across restarts, whatever its delivery mode (a quorum queue's
   * log, as RabbitMQ's); otherwise only persistent ones (delivery_mode 2).
   */
  readonly keepsEveryMessage: boolean;
  /** Throws RabbitMQ's 406 for flags (and, after them, argument values) the type does not allow. */
  checkDeclare(flags: QueueDeclareFlags, resource: string, settings?: QueueSettings): void;
  /** Fills in the type's defaults after the arguments were read (e.g. quorum's delivery limit). */
  complete(settings: QueueSettings): void;
}
