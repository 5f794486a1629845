import type { PrismaClient } from '../generated/prisma/client.js';
import type { Services } from '../services/index.js';

/** Daily: share links that expired or were revoked, sessions past their end, stale log-in counters. */
export async function purgeExpired(prisma: PrismaClient, services: Services, now = new Date()) {
  const shareLinks = await services.shareLinks.purge(now);
  const { count: sessions } = await prisma.session.deleteMany({ where: { expiresAt: { lte: now } } });
  const { count: throttles } = await prisma.loginThrottle.deleteMany({
    where: { windowStart: { lt: new Date(now.getTime() - 86_400_000) }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
  });
  return { shareLinks, sessions, throttles };
}
