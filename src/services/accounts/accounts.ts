import { z } from 'zod';
import type { ApiToken, PrismaClient, TokenScope, User } from '../../generated/prisma/client.js';
import { ConflictError, conflictOnUnique, InvalidCredentialsError, NotFoundError, SignUpClosedError, ValidationError } from '../errors.js';
import type { AccountEvent, EventBus } from '../events.js';
import type { Viewer } from '../viewer.js';
import { CredentialCache } from './credential-cache.js';
import type { LoginThrottle, ThrottleKey } from './login-throttle.js';
import { checkPasswordStrength, hashPassword, UNUSABLE_PASSWORD_HASH, verifyPassword } from './passwords.js';
import { API_TOKEN_PREFIX, hashToken, newToken, SESSION_TOKEN_PREFIX } from './tokens.js';

export interface AccountsDeps {
  prisma: PrismaClient;
  throttle: LoginThrottle;
  events: EventBus;
  sessionTtlMs: number;
  allowSignUp: boolean;
  /** how long a verified token is trusted without reading it again (0: never cached) */
  credentialCacheMs: number;
}

export interface SignedIn {
  user: User;
  token: string;
  expiresAt: Date;
}

export interface ClientInfo {
  address: string;
}

interface Verified {
  viewer: Viewer;
  expiresAt: number | null;
  touchedAt: number;
}

const OWNER_EMAIL = 'owner@klug.local';
/** Writes of a credential's last use are spaced out so reads don't each cost a write. */
const TOUCH_INTERVAL_MS = 5 * 60 * 1000;

const emailSchema = z.string().trim().toLowerCase().max(254, 'Email is too long').email('Email is not valid');
const displayNameSchema = z.string().trim().min(1, 'Display name is empty').max(100, 'Display name is too long');
const tokenNameSchema = z.string().trim().min(1, 'Token name is empty').max(100, 'Token name is too long');

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(result.error.issues[0]?.message ?? 'Invalid value', [field]);
  return result.data;
}

export class AccountsService {
  private readonly cache: CredentialCache;
  private readonly revocations: AsyncIterator<{ credentialId: string }>;

  constructor(private readonly deps: AccountsDeps) {
    this.cache = new CredentialCache(deps.credentialCacheMs);
    // a credential ended on any replica leaves this one's cache at once
    this.revocations = deps.events.pubsub.subscribe('credential:ended')[Symbol.asyncIterator]();
    const { cache, revocations } = this;
    void (async () => {
      for (let next = await revocations.next(); !next.done; next = await revocations.next()) cache.dropCredential(next.value.credentialId);
    })();
  }

  /** Stops listening for credentials ended elsewhere. */
  async close(): Promise<void> {
    await this.revocations.return?.();
  }

  async signUp(input: { email: string; password: string; displayName?: string | null }): Promise<SignedIn> {
    const { prisma, allowSignUp } = this.deps;
    const email = parse(emailSchema, input.email, 'email');
    const displayName = input.displayName == null ? null : parse(displayNameSchema, input.displayName, 'displayName');
    checkPasswordStrength(input.password, email);
    const people = await prisma.user.count({ where: { email: { not: OWNER_EMAIL } } });
    if (!allowSignUp && people > 0) throw new SignUpClosedError();
    if (await prisma.user.findUnique({ where: { email }, select: { id: true } })) {
      throw new ConflictError('An account with this email already exists', ['email']);
    }
    const passwordHash = await hashPassword(input.password);
    const user = await prisma.user
      .create({ data: { email, displayName, passwordHash, isOwner: people === 0 } })
      .catch(conflictOnUnique('An account with this email already exists', ['email']));
    return this.openSession(user);
  }

  async logIn(input: { email: string; password: string }, client: ClientInfo): Promise<SignedIn> {
    const { prisma, throttle } = this.deps;
    const email = input.email.trim().toLowerCase();
    const keys: ThrottleKey[] = [
      { key: `email:${email}`, factor: 1 },
      { key: `address:${client.address}`, factor: 3 },
    ];
    await throttle.admit(keys);
    const user = email === OWNER_EMAIL ? null : await prisma.user.findUnique({ where: { email } });
    const valid = await verifyPassword(input.password, user?.passwordHash ?? UNUSABLE_PASSWORD_HASH);
    if (!user || !valid) {
      await throttle.recordFailure(keys);
      throw new InvalidCredentialsError();
    }
    await throttle.reset(`email:${email}`);
    return this.openSession(user);
  }

  async logOut(viewer: Viewer | null): Promise<boolean> {
    if (viewer?.via !== 'session' || !viewer.credentialId) return false;
    const { count } = await this.deps.prisma.session.deleteMany({ where: { id: viewer.credentialId } });
    this.ended(viewer.credentialId);
    if (count > 0) this.publish(viewer.user.id, { kind: 'LOGGED_OUT', subjectId: viewer.credentialId });
    return count > 0;
  }

  async createApiToken(viewer: Viewer, input: { name: string; scope: TokenScope }) {
    const name = parse(tokenNameSchema, input.name, 'name');
    const { token, hash } = newToken(API_TOKEN_PREFIX);
    const apiToken = await this.deps.prisma.apiToken.create({
      data: { userId: viewer.user.id, name, scope: input.scope, tokenHash: hash, prefix: token.slice(0, 13) },
    });
    this.publish(viewer.user.id, { kind: 'API_TOKEN_CREATED', subjectId: apiToken.id });
    return { apiToken, token };
  }

  async revokeApiToken(viewer: Viewer, id: string): Promise<ApiToken> {
    const { prisma } = this.deps;
    const existing = await prisma.apiToken.findFirst({ where: { id, userId: viewer.user.id } });
    if (!existing) throw new NotFoundError('No such API token', ['id']);
    if (existing.revokedAt) return existing;
    const apiToken = await prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
    this.ended(id);
    this.publish(viewer.user.id, { kind: 'API_TOKEN_REVOKED', subjectId: id });
    return apiToken;
  }

  /**
   * Resolves a bearer token (session or API token) to a viewer; renews sessions as they are used. A token
   * verified recently is answered from this process's cache, without a statement.
   */
  async authenticate(token: string, now = new Date()): Promise<Viewer | null> {
    const session = token.startsWith(SESSION_TOKEN_PREFIX);
    if (!session && !token.startsWith(API_TOKEN_PREFIX)) return null;
    const hash = hashToken(token);
    const cached = this.cache.get(hash, now.getTime());
    if (cached) {
      if (now.getTime() - cached.touchedAt > TOUCH_INTERVAL_MS) {
        const touched = session ? await this.touchSession(cached.viewer.credentialId!, now) : await this.touchApiToken(cached.viewer.credentialId!, now);
        Object.assign(cached, { touchedAt: now.getTime(), expiresAt: touched ?? cached.expiresAt });
      }
      return cached.viewer;
    }
    const found = session ? await this.authenticateSession(hash, now) : await this.authenticateApiToken(hash, now);
    if (found) this.cache.set(hash, { ...found, cachedAt: now.getTime() });
    return found?.viewer ?? null;
  }

  /** The built-in person every request acts as when KLUG_AUTH_MODE=disabled. */
  async ensureOwner(): Promise<User> {
    return this.deps.prisma.user.upsert({
      where: { email: OWNER_EMAIL },
      create: { email: OWNER_EMAIL, displayName: 'Owner', passwordHash: '!', isOwner: true },
      update: {},
    });
  }

  private async authenticateSession(tokenHash: string, now: Date): Promise<Verified | null> {
    const { prisma } = this.deps;
    const session = await prisma.session.findUnique({ where: { tokenHash }, include: { user: true } });
    if (!session) return null;
    if (session.expiresAt <= now) {
      await prisma.session.deleteMany({ where: { id: session.id } });
      return null;
    }
    let { expiresAt, lastUsedAt } = session;
    if (now.getTime() - lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      expiresAt = new Date(await this.touchSession(session.id, now));
      lastUsedAt = now;
    }
    const viewer: Viewer = { user: session.user, scope: 'WRITE', via: 'session', credentialId: session.id };
    return { viewer, expiresAt: expiresAt.getTime(), touchedAt: lastUsedAt.getTime() };
  }

  private async authenticateApiToken(tokenHash: string, now: Date): Promise<Verified | null> {
    const apiToken = await this.deps.prisma.apiToken.findUnique({ where: { tokenHash }, include: { user: true } });
    if (!apiToken || apiToken.revokedAt) return null;
    let lastUsedAt = apiToken.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - lastUsedAt > TOUCH_INTERVAL_MS) {
      await this.touchApiToken(apiToken.id, now);
      lastUsedAt = now.getTime();
    }
    const viewer: Viewer = { user: apiToken.user, scope: apiToken.scope, via: 'apiToken', credentialId: apiToken.id };
    return { viewer, expiresAt: null, touchedAt: lastUsedAt };
  }

  /** Records a session's use and renews it; answers its new expiry. */
  private async touchSession(id: string, now: Date): Promise<number> {
    const expiresAt = new Date(now.getTime() + this.deps.sessionTtlMs);
    await this.deps.prisma.session.updateMany({ where: { id }, data: { lastUsedAt: now, expiresAt } });
    return expiresAt.getTime();
  }

  private async touchApiToken(id: string, now: Date): Promise<null> {
    await this.deps.prisma.apiToken.updateMany({ where: { id }, data: { lastUsedAt: now } });
    return null;
  }

  /** A session or API token ended: no replica may answer from its cache for it any more. */
  private ended(credentialId: string): void {
    this.cache.dropCredential(credentialId);
    this.deps.events.pubsub.publish('credential:ended', { credentialId });
  }

  private async openSession(user: User): Promise<SignedIn> {
    const { token, hash } = newToken(SESSION_TOKEN_PREFIX);
    const expiresAt = new Date(Date.now() + this.deps.sessionTtlMs);
    const session = await this.deps.prisma.session.create({ data: { userId: user.id, tokenHash: hash, expiresAt } });
    this.publish(user.id, { kind: 'LOGGED_IN', subjectId: session.id });
    return { user, token, expiresAt };
  }

  private publish(userId: string, event: Omit<AccountEvent, 'at'>): void {
    this.deps.events.pubsub.publish('account:event', userId, { ...event, at: new Date() });
  }
}
