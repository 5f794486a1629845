import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { dataLayout } from './data-dir.js';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['true', '1', 'yes'].includes(value));

/** `https://app.example.com, http://localhost:5173` → each entry an origin (scheme, host, optional port) */
const originList = z.string().transform((value, ctx) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const origin = originOf(entry);
      if (!origin) ctx.addIssue({ code: 'custom', input: entry, message: `${entry} is not an origin such as https://app.example.com` });
      return origin ?? '';
    }),
);

function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : null;
  } catch {
    return null;
  }
}

export const DATABASE_TIMEOUTS = { connectTimeoutMs: 10_000, queryTimeoutMs: 60_000 };

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection URL')
    .optional(),
  KLUG_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(() => DATABASE_TIMEOUTS.connectTimeoutMs),
  KLUG_DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(() => DATABASE_TIMEOUTS.queryTimeoutMs),
  KLUG_DATA_DIR: z.string().min(1).default('./data'),
  KLUG_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  KLUG_AUTH_MODE: z.enum(['all', 'write', 'disabled']).default('all'),
  KLUG_ALLOW_SIGNUP: booleanFromEnv.default(true),
  KLUG_IMPORT_UPLOAD_MAX_MB: z.coerce.number().positive().max(10_240).default(25),
  KLUG_MAX_LIST_LENGTH: z.coerce.number().int().positive().max(1_000_000).default(10_000),
  KLUG_INTROSPECTION: booleanFromEnv.optional(),
  KLUG_GRAPHIQL: booleanFromEnv.optional(),
  KLUG_TRUST_PROXY: booleanFromEnv.default(false),
  KLUG_CORS_ORIGINS: originList.default([]),
  KLUG_PUBLIC_URL: z.string().url('must be a URL such as https://klug.example.com').optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  KLUG_AUTH_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(60),
  KLUG_IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  KLUG_RUN_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  KLUG_RUN_POLL_SECONDS: z.coerce.number().min(0.1).max(600).default(2),
  KLUG_TMDB_API_KEY: z.string().min(1).optional(),
  KLUG_TMDB_TOKEN: z.string().min(1).optional(),
  KLUG_TMDB_URL: z.string().url('must be a URL such as https://api.themoviedb.org/3').default('https://api.themoviedb.org/3'),
  KLUG_TMDB_IMAGE_URL: z.string().url('must be a URL such as https://image.tmdb.org/t/p').default('https://image.tmdb.org/t/p'),
  KLUG_TMDB_RPS: z.coerce.number().positive().max(1000).default(40),
  KLUG_TMDB_CACHE_DAYS: z.coerce.number().positive().max(3650).default(30),
  KLUG_DOWNLOAD_DIR: z.string().min(1).optional(),
  KLUG_DOWNLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
  KLUG_DOWNLOAD_CHUNKS: z.coerce.number().int().min(1).max(64).default(16),
  KLUG_DOWNLOAD_HOST_CONNECTIONS: z.coerce.number().int().min(1).max(256).default(16),
  KLUG_DOWNLOAD_ALLOW_PRIVATE: booleanFromEnv.default(false),
  KLUG_DOWNLOAD_FSYNC: booleanFromEnv.default(true),
  KLUG_ARTWORK_UPLOAD_MAX_MB: z.coerce.number().positive().max(100).default(5),
  KLUG_ARTWORK_DIR: z.string().min(1).optional(),
  KLUG_MEDIA_SERVER_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  KLUG_IPTV_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  KLUG_METRICS: booleanFromEnv.default(false),
  KLUG_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type AuthMode = 'all' | 'write' | 'disabled';

export interface LoginThrottleSettings {
  /** failures within the window after which every answer is delayed */
  slowAfter: number;
  /** failures within the window after which the key is locked */
  lockAfter: number;
  windowMs: number;
  lockMs: number;
  /** first delay; doubles with each further failure, capped at maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a client address gets this many times the per-account thresholds (households share one) */
  addressFactor: number;
}

export interface PostgresSettings {
  kind: 'postgres';
  url: string;
  /** how long connecting may take, up to the server being ready for queries */
  connectTimeoutMs: number;
  /** how long one statement may run (0: no limit); migrations are exempt */
  queryTimeoutMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  database: PostgresSettings | { kind: 'pglite'; dataDir: string };
  dataDir: string;
  secretKey: string;
  authMode: AuthMode;
  allowSignUp: boolean;
  uploadMaxBytes: number;
  introspection: boolean;
  graphiql: boolean;
  trustProxy: boolean;
  /** other origins whose pages may call the API with the session cookie (CORS with credentials, WebSocket) */
  corsOrigins: string[];
  /** the address people reach Klug at, for links it hands out; else taken from each request */
  publicUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: string;
  /** `/metrics` in Prometheus format; with a token, scrapers must send it as a bearer token */
  metrics: { enabled: boolean; token: string | undefined };
  sessionTtlMs: number;
  /** a verified bearer token is trusted this long per process without reading it again; log-out and revocation drop it at once */
  credentialCacheMs: number;
  loginThrottle: LoginThrottleSettings;
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    maxPageSize: number;
    /** items in any one input list, inline or in variables */
    maxListLength: number;
    /** a JSON request body (uploads stream past it, under uploadMaxBytes) */
    maxBodyBytes: number;
  };
  shutdownTimeoutMs: number;
  /** long work (src/jobs): leases, polling, progress throttle, retries; and runs of each kind per process */
  runs: { leaseMs: number; pollMs: number; progressMs: number; affinityGraceMs: number; retryBaseMs: number; retryMaxMs: number };
  concurrency: { import: number };
  /** TMDB metadata and artwork; enrichment is off without a key or token */
  tmdb: {
    apiKey: string | undefined;
    token: string | undefined;
    url: string;
    imageUrl: string;
    requestsPerSecond: number;
    /** requests in flight at once, over all work */
    concurrency: number;
    cacheMs: number;
    timeoutMs: number;
    /** tries of a request that fails with a 5xx or a timeout */
    tries: number;
    retryBaseMs: number;
  };
  artwork: {
    /** where images and thumbnails are kept; replicas share one (KLUG_ARTWORK_DIR), else KLUG_DATA_DIR/artwork */
    dir: string;
    uploadMaxBytes: number;
    maxPixels: number;
    /** an image fetched from the image host, at most, and how long fetching it may take */
    fetchMaxBytes: number;
    fetchTimeoutMs: number;
  };
  /** Jellyfin and Jellyseerr: how long one request may take, how often a failing one is tried, page sizes */
  mediaServers: {
    timeoutMs: number;
    /** tries of a request that fails with a 5xx, a timeout or a dropped connection (connecting tries once) */
    tries: number;
    retryBaseMs: number;
    /** Jellyfin items per page with their streams, and played items per page per user */
    itemPageSize: number;
    playedPageSize: number;
    /** Jellyseerr requests per page (`take`) */
    requestPageSize: number;
    /** title look-ups in flight at once */
    titleConcurrency: number;
  };
  downloads: DownloadSettings;
  iptv: IptvSettings;
  /** `KLUG_JOB_<NAME>` settings as given: a cron expression or `off`, checked against the jobs at start */
  jobSchedules: Record<string, string>;
}

/** The download engine (src/services/downloads). */
export interface DownloadSettings {
  /** where finished files land; every path stays inside it */
  dir: string;
  /** downloads one process works on at once */
  concurrency: number;
  /** ranges a file is split into, each fetched over its own connection (at least 1 MiB each) */
  chunks: number;
  /** connections to one host at once, shared by every download of the process (IPTV providers lower theirs) */
  hostConnections: number;
  /** let URLs reach loopback, private, link-local and other internal addresses */
  allowPrivate: boolean;
  /** tries of one range before the download gives the run back to the queue, and their backoff */
  rangeTries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** a connection that sends nothing for this long is dropped and its range tried again */
  idleTimeoutMs: number;
  /** how often the ranges written are recorded as the place to resume from (after a crash of the process) */
  checkpointMs: number;
  /**
   * sync files to disk as they download and before they are moved into place (off: faster on slow disks,
   * but a crash of the machine, not just of Klug, may leave a damaged file or start a download over)
   */
  fsync: boolean;
  /**
   * how often the file is synced to disk (in the background), its ranges then being what survives a crash of the
   * machine; not more often: a sync a second held writes up on pages under writeback and made downloads slower
   */
  syncMs: number;
  /** the longest Retry-After honoured; a longer one gives the run back to the queue */
  maxRetryAfterMs: number;
  /** how long a ranged download runs at a count of connections before it decides whether more would help */
  rampMs: number;
}

/** Xtream Codes providers (src/services/iptv). */
export interface IptvSettings {
  /** waiting for an answer's headers, and between two pieces of its body (a long list may take longer in all) */
  timeoutMs: number;
  /** tries of a request that fails with a 429, a 5xx, a timeout or a dropped connection */
  tries: number;
  retryBaseMs: number;
  /** the longest Retry-After honoured (longer: waited this long) */
  maxRetryAfterMs: number;
  /** playlist syncs one process runs at once */
  concurrency: number;
}

export type ConfigOverrides = Partial<Omit<Config, 'loginThrottle' | 'limits' | 'runs' | 'tmdb' | 'artwork' | 'mediaServers' | 'downloads' | 'iptv'>> & {
  iptv?: Partial<IptvSettings>;
  mediaServers?: Partial<Config['mediaServers']>;
  tmdb?: Partial<Config['tmdb']>;
  artwork?: Partial<Config['artwork']>;
  downloads?: Partial<DownloadSettings>;
  loginThrottle?: Partial<LoginThrottleSettings>;
  limits?: Partial<Config['limits']>;
  runs?: Partial<Config['runs']>;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses every setting once; all problems are reported together. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const env = withoutEmpty(rawEnv);
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // a shared PostgreSQL needs one key for every replica; only embedded mode may invent its own
  if (env.DATABASE_URL && !env.KLUG_SECRET_KEY && !overrides.secretKey) {
    problems.push('KLUG_SECRET_KEY: required when DATABASE_URL is set (e.g. `openssl rand -hex 32`)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = resolve(e.KLUG_DATA_DIR);
  const production = e.NODE_ENV === 'production';
  const database: Config['database'] = e.DATABASE_URL
    ? {
        kind: 'postgres',
        url: e.DATABASE_URL,
        connectTimeoutMs: e.KLUG_DB_CONNECT_TIMEOUT_MS,
        queryTimeoutMs: e.KLUG_DB_QUERY_TIMEOUT_MS,
      }
    : { kind: 'pglite', dataDir: dataLayout(dataDir).pglite };

  const base: Config = {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    database,
    dataDir,
    secretKey: overrides.secretKey ?? e.KLUG_SECRET_KEY ?? keptSecretKey(dataDir),
    authMode: e.KLUG_AUTH_MODE,
    allowSignUp: e.KLUG_ALLOW_SIGNUP,
    uploadMaxBytes: Math.floor(e.KLUG_IMPORT_UPLOAD_MAX_MB * 1024 * 1024),
    introspection: e.KLUG_INTROSPECTION ?? !production,
    graphiql: e.KLUG_GRAPHIQL ?? !production,
    trustProxy: e.KLUG_TRUST_PROXY,
    corsOrigins: e.KLUG_CORS_ORIGINS,
    publicUrl: e.KLUG_PUBLIC_URL?.replace(/\/+$/, ''),
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    metrics: { enabled: e.KLUG_METRICS, token: e.KLUG_METRICS_TOKEN },
    sessionTtlMs: 30 * 24 * 3600 * 1000,
    credentialCacheMs: e.KLUG_AUTH_CACHE_SECONDS * 1000,
    loginThrottle: {
      slowAfter: 5,
      lockAfter: 10,
      windowMs: 15 * 60 * 1000,
      lockMs: 15 * 60 * 1000,
      baseDelayMs: 250,
      maxDelayMs: 4000,
      addressFactor: 3,
    },
    limits: {
      maxDepth: 12,
      maxAliases: 20,
      maxTokens: 4000,
      maxCost: 20000,
      maxPageSize: 100,
      maxListLength: e.KLUG_MAX_LIST_LENGTH,
      maxBodyBytes: 2 * 1024 * 1024,
    },
    shutdownTimeoutMs: 10_000,
    runs: {
      leaseMs: e.KLUG_RUN_LEASE_SECONDS * 1000,
      pollMs: e.KLUG_RUN_POLL_SECONDS * 1000,
      progressMs: 1000,
      affinityGraceMs: 15 * 60_000,
      retryBaseMs: 2000,
      retryMaxMs: 5 * 60_000,
    },
    concurrency: { import: e.KLUG_IMPORT_CONCURRENCY },
    tmdb: {
      apiKey: e.KLUG_TMDB_API_KEY,
      token: e.KLUG_TMDB_TOKEN,
      url: e.KLUG_TMDB_URL.replace(/\/+$/, ''),
      imageUrl: e.KLUG_TMDB_IMAGE_URL.replace(/\/+$/, ''),
      requestsPerSecond: e.KLUG_TMDB_RPS,
      concurrency: 8,
      cacheMs: e.KLUG_TMDB_CACHE_DAYS * 24 * 3600 * 1000,
      timeoutMs: 10_000,
      tries: 3,
      retryBaseMs: 500,
    },
    artwork: {
      dir: e.KLUG_ARTWORK_DIR ? resolve(e.KLUG_ARTWORK_DIR) : dataLayout(dataDir).artwork,
      uploadMaxBytes: Math.floor(e.KLUG_ARTWORK_UPLOAD_MAX_MB * 1024 * 1024),
      maxPixels: 50_000_000,
      fetchMaxBytes: 20 * 1024 * 1024,
      fetchTimeoutMs: 30_000,
    },
    mediaServers: {
      timeoutMs: e.KLUG_MEDIA_SERVER_TIMEOUT_SECONDS * 1000,
      tries: 3,
      retryBaseMs: 500,
      itemPageSize: 500,
      playedPageSize: 2000,
      requestPageSize: 100,
      titleConcurrency: 4,
    },
    downloads: {
      dir: resolve(e.KLUG_DOWNLOAD_DIR ?? dataLayout(dataDir).downloads),
      concurrency: e.KLUG_DOWNLOAD_CONCURRENCY,
      chunks: e.KLUG_DOWNLOAD_CHUNKS,
      hostConnections: e.KLUG_DOWNLOAD_HOST_CONNECTIONS,
      allowPrivate: e.KLUG_DOWNLOAD_ALLOW_PRIVATE,
      rangeTries: 8,
      retryBaseMs: 250,
      retryMaxMs: 8000,
      idleTimeoutMs: 30_000,
      checkpointMs: 2000,
      fsync: e.KLUG_DOWNLOAD_FSYNC,
      syncMs: 10_000,
      maxRetryAfterMs: 120_000,
      rampMs: 500,
    },
    iptv: {
      timeoutMs: e.KLUG_IPTV_TIMEOUT_SECONDS * 1000,
      tries: 4,
      retryBaseMs: 1000,
      maxRetryAfterMs: 60_000,
      concurrency: 2,
    },
    jobSchedules: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('KLUG_JOB_') && !!entry[1]?.trim())),
  };
  const { loginThrottle, limits, runs, tmdb, artwork, mediaServers, downloads, iptv, ...rest } = overrides;
  return {
    ...base,
    ...rest,
    loginThrottle: { ...base.loginThrottle, ...loginThrottle },
    limits: { ...base.limits, ...limits },
    runs: { ...base.runs, ...runs },
    tmdb: { ...base.tmdb, ...tmdb },
    artwork: { ...base.artwork, ...artwork },
    mediaServers: { ...base.mediaServers, ...mediaServers },
    downloads: { ...base.downloads, ...downloads },
    iptv: { ...base.iptv, ...iptv },
  };
}

/** `DATABASE_URL=` (as compose files and .env templates leave it) means unset, for every setting alike. */
function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
}

/** Embedded mode keeps a generated key beside its database, so `npm start` needs no setup. */
function keptSecretKey(dataDir: string): string {
  const file = dataLayout(dataDir).secretKey;
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length < 32) throw new ConfigError([`${file}: the kept secret key is shorter than 32 characters`]);
    return kept;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
