import { z } from 'zod';
import type { ApiToken, PrismaClient, TokenScope, User } from '../../generated/prisma/client.js';
import { ConflictError, conflictOnUnique, InvalidCredentialsError, NotFoundError, SignUpClosedError, ValidationError } from '../errors.js';
import type { AccountEvent, EventBus } from '../events.js';
import type { Viewer } from '../viewer.js';
import type { LoginThrottle, ThrottleKey } from './login-throttle.js';
import { checkPasswordStrength, hashPassword, UNUSABLE_PASSWORD_HASH, verifyPassword } from './passwords.js';
import { API_TOKEN_PREFIX, hashToken, newToken, SESSION_TOKEN_PREFIX } from './tokens.js';

export interface AccountsDeps {
  prisma: PrismaClient;
  throttle: LoginThrottle;
  events: EventBus;
  sessionTtlMs: number;
  allowSignUp: boolean;
}

export interface SignedIn {
  user: User;
  token: string;
  expiresAt: Date;
}

export interface ClientInfo {
  address: string;
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
  constructor(private readonly deps: AccountsDeps) {}

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
    this.publish(viewer.user.id, { kind: 'API_TOKEN_REVOKED', subjectId: id });
    return apiToken;
  }

  /** Resolves a bearer token (session or API token) to a viewer; renews sessions as they are used. */
  async authenticate(token: string, now = new Date()): Promise<Viewer | null> {
    if (token.startsWith(SESSION_TOKEN_PREFIX)) return this.authenticateSession(token, now);
    if (token.startsWith(API_TOKEN_PREFIX)) return this.authenticateApiToken(token, now);
    return null;
  }

  /** The built-in person every request acts as when KLUG_AUTH_MODE=disabled. */
  async ensureOwner(): Promise<User> {
    return this.deps.prisma.user.upsert({
      where: { email: OWNER_EMAIL },
      create: { email: OWNER_EMAIL, displayName: 'Owner', passwordHash: '!', isOwner: true },
      update: {},
    });
  }

  private async authenticateSession(token: string, now: Date): Promise<Viewer | null> {
    const { prisma, sessionTtlMs } = this.deps;
    const session = await prisma.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!session) return null;
    if (session.expiresAt <= now) {
      await prisma.session.deleteMany({ where: { id: session.id } });
      return null;
    }
    if (now.getTime() - session.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await prisma.session.update({
        where: { id: session.id },
        data: { lastUsedAt: now, expiresAt: new Date(now.getTime() + sessionTtlMs) },
      });
    }
    return { user: session.user, scope: 'WRITE', via: 'session', credentialId: session.id };
  }

  private async authenticateApiToken(token: string, now: Date): Promise<Viewer | null> {
    const { prisma } = this.deps;
    const apiToken = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!apiToken || apiToken.revokedAt) return null;
    if (!apiToken.lastUsedAt || now.getTime() - apiToken.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await prisma.apiToken.update({ where: { id: apiToken.id }, data: { lastUsedAt: now } });
    }
    return { user: apiToken.user, scope: apiToken.scope, via: 'apiToken', credentialId: apiToken.id };
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
