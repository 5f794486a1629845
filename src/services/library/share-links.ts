import type { PrismaClient, ShareLink } from '../../generated/prisma/client.js';
import { hashToken, newToken } from '../accounts/tokens.js';
import { NotFoundError, ValidationError } from '../errors.js';

export const SHARE_TOKEN_PREFIX = 'klug_share_';
export const DEFAULT_SHARE_DAYS = 30;
const MAX_SHARE_DAYS = 365;
const DAY_MS = 86_400_000;
/** Renewal writes are spaced out so a popular link does not cost a write per view. */
const RENEW_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Read-only windows on one person's watch history and stats. A link lives `ttlDays` from its last use,
 * can be revoked, and is purged by the daily clean-up once expired.
 */
export class ShareLinkService {
  constructor(private readonly prisma: PrismaClient) {}

  async create(userId: string, expiresInDays: number | null | undefined): Promise<{ link: ShareLink; token: string }> {
    const ttlDays = expiresInDays ?? DEFAULT_SHARE_DAYS;
    if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > MAX_SHARE_DAYS) {
      throw new ValidationError(`expiresInDays must be a whole number from 1 to ${MAX_SHARE_DAYS}`, ['expiresInDays']);
    }
    const { token, hash } = newToken(SHARE_TOKEN_PREFIX);
    const link = await this.prisma.shareLink.create({
      data: { userId, tokenHash: hash, prefix: token.slice(0, 16), ttlDays, expiresAt: new Date(Date.now() + ttlDays * DAY_MS) },
    });
    return { link, token };
  }

  async revoke(userId: string, id: string): Promise<ShareLink> {
    const link = await this.prisma.shareLink.findFirst({ where: { id, userId } });
    if (!link) throw new NotFoundError('No share link with this id', ['id']);
    return link.revokedAt ? link : this.prisma.shareLink.update({ where: { id }, data: { revokedAt: new Date() } });
  }

  /** The owner behind a live token, renewing the link; null for unknown, revoked or expired tokens. */
  async resolve(token: string, now = new Date()): Promise<{ userId: string; displayName: string | null } | null> {
    if (!token.startsWith(SHARE_TOKEN_PREFIX)) return null;
    const link = await this.prisma.shareLink.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { user: { select: { displayName: true } } },
    });
    if (!link || link.revokedAt || link.expiresAt <= now) return null;
    if (!link.lastUsedAt || now.getTime() - link.lastUsedAt.getTime() > RENEW_INTERVAL_MS) {
      await this.prisma.shareLink.update({
        where: { id: link.id },
        data: { lastUsedAt: now, expiresAt: new Date(now.getTime() + link.ttlDays * DAY_MS) },
      });
    }
    return { userId: link.userId, displayName: link.user.displayName };
  }

  /** Deletes links that expired or were revoked; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const { count } = await this.prisma.shareLink.deleteMany({
      where: { OR: [{ expiresAt: { lte: now } }, { revokedAt: { not: null } }] },
    });
    return count;
  }
}
