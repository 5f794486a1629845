import type { LoginThrottleSettings } from '../../config.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { TooManyAttemptsError } from '../errors.js';

export interface ThrottleKey {
  key: string;
  /** multiplies the thresholds: a shared client address tolerates more failures than one account */
  factor: number;
}

interface ThrottleRow {
  failures: number;
  windowStart: Date;
  lockedUntil: Date | null;
}

/**
 * Counts failed log-ins per account and per client address in the database, so every replica agrees.
 * Past `slowAfter` failures each answer waits longer; past `lockAfter` the key is refused until the lock ends.
 */
export class LoginThrottle {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly settings: LoginThrottleSettings,
  ) {}

  /** Throws TooManyAttemptsError while any key is locked; otherwise waits as long as the worst key requires. */
  async admit(keys: ThrottleKey[], now = new Date()): Promise<void> {
    const rows = await this.prisma.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
    let delayMs = 0;
    for (const row of rows) {
      if (row.lockedUntil && row.lockedUntil > now) {
        throw new TooManyAttemptsError(Math.ceil((row.lockedUntil.getTime() - now.getTime()) / 1000));
      }
      const factor = keys.find((k) => k.key === row.key)?.factor ?? 1;
      delayMs = Math.max(delayMs, this.delayFor(row, factor, now));
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }

  async recordFailure(keys: ThrottleKey[]): Promise<void> {
    const { windowMs, lockAfter, lockMs } = this.settings;
    for (const { key, factor } of keys) {
      await this.prisma.$executeRaw`
        INSERT INTO "LoginThrottle" (key, failures, "windowStart") VALUES (${key}, 1, now())
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN "LoginThrottle"."windowStart" < now() - make_interval(secs => ${windowMs / 1000})
                          THEN 1 ELSE "LoginThrottle".failures + 1 END,
          "windowStart" = CASE WHEN "LoginThrottle"."windowStart" < now() - make_interval(secs => ${windowMs / 1000})
                          THEN now() ELSE "LoginThrottle"."windowStart" END`;
      await this.prisma.$executeRaw`
        UPDATE "LoginThrottle" SET "lockedUntil" = now() + make_interval(secs => ${lockMs / 1000})
        WHERE key = ${key} AND failures >= ${lockAfter * factor}
          AND ("lockedUntil" IS NULL OR "lockedUntil" < now())`;
    }
  }

  async reset(key: string): Promise<void> {
    await this.prisma.loginThrottle.deleteMany({ where: { key } });
  }

  private delayFor(row: ThrottleRow, factor: number, now: Date): number {
    const { windowMs, slowAfter, baseDelayMs, maxDelayMs } = this.settings;
    if (row.windowStart.getTime() < now.getTime() - windowMs) return 0;
    const over = row.failures - slowAfter * factor;
    return over < 0 ? 0 : Math.min(baseDelayMs * 2 ** over, maxDelayMs);
  }
}
