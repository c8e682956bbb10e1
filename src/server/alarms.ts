// Resource alarms: memory high watermark and disk free limit; while one is in effect publishers are blocked.
import { statfs } from 'node:fs';
import { totalmem } from 'node:os';
import type { Logger } from 'pino';

export type AlarmKind = 'memory' | 'disk';

/** A limit as rabbitmq.conf states it: a fraction of system memory, or bytes. */
export type Threshold = { relative: number } | { absolute: number };

export interface AlarmSettings {
  /** vm_memory_high_watermark: RabbitMQ's default is 0.6 of system memory. */
  memoryHighWatermark: Threshold;
  /** disk_free_limit: RabbitMQ's default is 50 MB. */
  diskFreeLimit: Threshold;
  /** Where durable data lives (its file system is the one watched). */
  dataDir: string;
  /** How often memory and disk are checked, ms. */
  interval: number;
}

/** Reacts to alarms being raised and cleared (the server blocks and unblocks publishers). */
export type AlarmListener = (active: ReadonlySet<AlarmKind>) => void;

const bytesOf = (t: Threshold, total: number) => ('absolute' in t ? t.absolute : t.relative * total);

export class Alarms {
  readonly active = new Set<AlarmKind>();
  private settings: AlarmSettings;
  private readonly log: Logger;
  private readonly listener: AlarmListener;
  private readonly timer: NodeJS.Timeout;
  /** Last readings, for the API and metrics. */
  memoryUsed = 0;
  diskFree = Number.POSITIVE_INFINITY;

  constructor(settings: AlarmSettings, log: Logger, listener: AlarmListener) {
    this.settings = settings;
    this.log = log;
    this.listener = listener;
    this.timer = setInterval(() => this.check(), settings.interval);
    this.timer.unref();
    this.check();
  }

  get memoryLimit(): number {
    return bytesOf(this.settings.memoryHighWatermark, totalmem());
  }

  get diskLimit(): number {
    return bytesOf(this.settings.diskFreeLimit, totalmem());
  }

  /** Changes the memory watermark at run time (as `rabbitmqctl set_vm_memory_high_watermark`) and re-checks. */
  setMemoryHighWatermark(t: Threshold): void {
    this.settings = { ...this.settings, memoryHighWatermark: t };
    this.check();
  }

  /** Changes the disk free limit at run time (as `rabbitmqctl set_disk_free_limit`) and re-checks. */
  setDiskFreeLimit(t: Threshold): void {
    this.settings = { ...this.settings, diskFreeLimit: t };
    this.check();
  }

  check(): void {
    this.memoryUsed = process.memoryUsage().rss;
    this.set('memory', this.memoryUsed > this.memoryLimit);
    statfs(this.settings.dataDir, (err, s) => {
      if (err) return;
      this.diskFree = s.bavail * s.bsize;
      this.set('disk', this.diskFree < this.diskLimit);
    });
  }

  private set(kind: AlarmKind, on: boolean): void {
    if (on === this.active.has(kind)) return;
    if (on) {
      this.active.add(kind);
      this.log.warn(
        kind === 'memory'
          ? { used: this.memoryUsed, limit: Math.round(this.memoryLimit) }
          : { free: this.diskFree, limit: Math.round(this.diskLimit), dataDir: this.settings.dataDir },
        kind === 'memory'
          ? 'memory alarm: resident memory is above vm_memory_high_watermark; publishers are blocked until it falls'
          : 'disk alarm: free disk space is below disk_free_limit; publishers are blocked until space is freed',
      );
    } else {
      this.active.delete(kind);
      this.log.info(`${kind} alarm cleared; publishers are unblocked`);
    }
    this.listener(this.active);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
