import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const SIGN_UP = graphql(`
  mutation ShareSignUp($email: String!, $password: String!, $displayName: String) {
    signUp(email: $email, password: $password, displayName: $displayName) {
      __typename
      ... on AuthSuccess {
        token
      }
    }
  }
`);

const CREATE = graphql(`
  mutation ShareCreate($expiresInDays: Int) {
    createShareLink(expiresInDays: $expiresInDays) {
      __typename
      ... on CreateShareLinkSuccess {
        token
        url
        shareLink {
          id
          prefix
          ttlDays
          createdAt
          expiresAt
          lastUsedAt
          revokedAt
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const REVOKE = graphql(`
  mutation ShareRevoke($id: ID!) {
    revokeShareLink(id: $id) {
      __typename
      ... on RevokeShareLinkSuccess {
        shareLink {
          id
          revokedAt
        }
      }
      ... on Error {
        code
        path
      }
    }
  }
`);

const HISTORY = graphql(`
  query ShareHistory($token: String!) {
    sharedHistory(token: $token) {
      displayName
      watchEvents(first: 50) {
        edges {
          node {
            watchedAt
            media {
              title
            }
          }
        }
      }
      watchStats(from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", bucket: MONTH) {
        totals {
          events
          movies
        }
      }
    }
  }
`);

const RECORD = graphql(`
  mutation ShareRecordWatch($title: String!, $watchedAt: DateTime!) {
    recordWatch(input: { media: { kind: MOVIE, title: $title }, watchedAt: $watchedAt }) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const MY_LINKS = graphql(`
  query ShareMyLinks {
    me {
      shareLinks(first: 50) {
        edges {
          node {
            id
            prefix
          }
        }
      }
    }
  }
`);

const NODE = graphql(`
  query ShareNode($id: ID!) {
    node(id: $id) {
      __typename
      id
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

type Person = { email: string; token: string };
const DAY_MS = 86_400_000;

async function newPerson(displayName?: string): Promise<Person> {
  const email = `share-${randomBytes(5).toString('hex')}@example.com`;
  const data = await server.gql(SIGN_UP, { email, password: `a slow and winding stream ${randomBytes(3).toString('hex')}`, displayName });
  if (data.signUp.__typename !== 'AuthSuccess') throw new Error(`sign-up failed: ${JSON.stringify(data)}`);
  return { email, token: data.signUp.token };
}

async function createLink(person: Person, expiresInDays?: number) {
  const data = await server.gql(CREATE, { expiresInDays }, { token: person.token });
  if (data.createShareLink.__typename !== 'CreateShareLinkSuccess') throw new Error(`createShareLink failed: ${JSON.stringify(data)}`);
  return data.createShareLink;
}

async function watch(person: Person, title: string, watchedAt: string) {
  const data = await server.gql(RECORD, { title, watchedAt }, { token: person.token });
  expect(data.recordWatch.__typename).toBe('RecordWatchSuccess');
}

/** anonymous: no Authorization header, no cookie */
const readShared = async (token: string) => (await server.gql(HISTORY, { token })).sharedHistory;

const rowOf = (link: { shareLink: { id: string } }) =>
  server.app.db.prisma.shareLink.findUniqueOrThrow({ where: { id: rawId(link.shareLink.id) } });

const setRow = (link: { shareLink: { id: string } }, data: { expiresAt?: Date; lastUsedAt?: Date | null; revokedAt?: Date | null }) =>
  server.app.db.prisma.shareLink.update({ where: { id: rawId(link.shareLink.id) }, data });

describe('createShareLink', () => {
  it('answers a klug_share_ token once, a /share/<token> url, and stores only a hash', async () => {
    const person = await newPerson();
    const link = await createLink(person);
    expect(link.token).toMatch(/^klug_share_[\w-]{20,}$/);
    expect(link.url.endsWith(`/share/${link.token}`)).toBe(true);
    expect(new URL(link.url).origin).toBe(new URL(server.url).origin);
    expect(link.token.startsWith(link.shareLink.prefix)).toBe(true);
    expect(link.shareLink).toMatchObject({ ttlDays: 30, lastUsedAt: null, revokedAt: null });

    const row = await rowOf(link);
    expect(row.tokenHash).not.toContain(link.token);
    const rows = await server.app.db.sql.query<Record<string, unknown>>('SELECT * FROM "ShareLink"');
    expect(JSON.stringify(rows)).not.toContain(link.token);
  });

  it('lives 30 days by default, or as many days as asked', async () => {
    const person = await newPerson();
    const byDefault = await createLink(person);
    const days = (Date.parse(byDefault.shareLink.expiresAt) - Date.parse(byDefault.shareLink.createdAt)) / DAY_MS;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThan(30.01);

    for (const asked of [1, 365]) {
      const link = await createLink(person, asked);
      expect(link.shareLink.ttlDays).toBe(asked);
      const lifetime = (Date.parse(link.shareLink.expiresAt) - Date.parse(link.shareLink.createdAt)) / DAY_MS;
      expect(Math.abs(lifetime - asked)).toBeLessThan(0.01);
    }
  });

  it.each([0, 400, -1])('refuses expiresInDays %s with a ValidationError and writes nothing', async (expiresInDays) => {
    const person = await newPerson();
    const data = await server.gql(CREATE, { expiresInDays }, { token: person.token });
    expect(data.createShareLink).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path: ['expiresInDays'] });
    const user = await server.app.db.prisma.user.findUniqueOrThrow({ where: { email: person.email } });
    expect(await server.app.db.prisma.shareLink.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe('sharedHistory and GET /share/<token>', () => {
  it("shows that person's history and stats to anyone, never another person's", async () => {
    const ann = await newPerson('Ann Shares');
    const bob = await newPerson('Bob Shares');
    await watch(ann, 'Ann First Film', '2024-01-10T20:00:00.000Z');
    await watch(ann, 'Ann Second Film', '2024-02-10T20:00:00.000Z');
    await watch(bob, 'Bob Only Film', '2024-03-10T20:00:00.000Z');
    const annsLink = await createLink(ann);
    const bobsLink = await createLink(bob);

    const shared = await readShared(annsLink.token);
    expect(shared).not.toBeNull();
    expect(shared!.displayName).toBe('Ann Shares');
    expect(shared!.watchEvents.edges.map((e) => e.node.media.title)).toEqual(['Ann Second Film', 'Ann First Film']);
    expect(shared!.watchStats.totals).toEqual({ events: 2, movies: 2 });

    const asBob = await server.gql(HISTORY, { token: annsLink.token }, { token: bob.token });
    expect(asBob.sharedHistory?.watchEvents.edges.map((e) => e.node.media.title)).toEqual(['Ann Second Film', 'Ann First Film']);

    const bobs = await readShared(bobsLink.token);
    expect(bobs?.watchEvents.edges.map((e) => e.node.media.title)).toEqual(['Bob Only Film']);
    expect(bobs?.watchStats.totals.events).toBe(1);
  });

  it('serves a JSON summary at the url, without credentials', async () => {
    const ann = await newPerson('Ann Json');
    const now = Date.now();
    await watch(ann, 'Older Json Film', new Date(now - 2 * 60_000).toISOString());
    await watch(ann, 'Newest Json Film', new Date(now - 60_000).toISOString());
    const link = await createLink(ann);

    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as {
      displayName: string | null;
      stats: { totals: { events: number } };
      recent: { title: string; kind: string }[];
    };
    expect(body.displayName).toBe('Ann Json');
    expect(body.stats.totals.events).toBe(2);
    expect(body.recent.map((r) => r.title)).toEqual(['Newest Json Film', 'Older Json Film']);
    expect(body.recent[0]).toMatchObject({ title: 'Newest Json Film', kind: 'MOVIE' });
  });

  it('answers null and 404 for a garbage token', async () => {
    const origin = new URL(server.url).origin;
    for (const token of ['klug_share_garbage', 'klug_share_' + 'A'.repeat(43), 'nonsense']) {
      expect(await readShared(token)).toBeNull();
      const response = await fetch(`${origin}/share/${token}`);
      expect(response.status).toBe(404);
      expect(await response.json()).not.toHaveProperty('recent');
    }
  });
});

describe('revokeShareLink', () => {
  it('ends the link at once', async () => {
    const person = await newPerson();
    await watch(person, 'Revoked Film', '2024-01-10T20:00:00.000Z');
    const link = await createLink(person);
    expect(await readShared(link.token)).not.toBeNull();

    const data = await server.gql(REVOKE, { id: link.shareLink.id }, { token: person.token });
    if (data.revokeShareLink.__typename !== 'RevokeShareLinkSuccess') throw new Error(JSON.stringify(data));
    expect(data.revokeShareLink.shareLink.revokedAt).not.toBeNull();
    expect(await readShared(link.token)).toBeNull();
    expect((await fetch(link.url)).status).toBe(404);
    expect((await rowOf(link)).revokedAt).not.toBeNull();
  });

  it("answers NotFoundError for another person's link, which keeps working", async () => {
    const ann = await newPerson();
    const bob = await newPerson();
    const annsLink = await createLink(ann);
    for (const id of [annsLink.shareLink.id, 'not-an-id']) {
      const data = await server.gql(REVOKE, { id }, { token: bob.token });
      expect(data.revokeShareLink).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    }
    expect((await rowOf(annsLink)).revokedAt).toBeNull();
    expect(await readShared(annsLink.token)).not.toBeNull();
    expect((await server.gql(NODE, { id: annsLink.shareLink.id }, { token: bob.token })).node).toBeNull();
    expect((await server.gql(NODE, { id: annsLink.shareLink.id }, { token: ann.token })).node).toMatchObject({ __typename: 'ShareLink' });
  });
});

describe('expiry and renewal', () => {
  it('reads an expired link as null', async () => {
    const person = await newPerson();
    const link = await createLink(person);
    await setRow(link, { expiresAt: new Date(Date.now() - 60_000) });
    expect(await readShared(link.token)).toBeNull();
    expect((await fetch(link.url)).status).toBe(404);
    expect((await rowOf(link)).expiresAt.getTime()).toBeLessThan(Date.now());
  });

  it('renews a link for ttlDays when it is used', async () => {
    const person = await newPerson();
    const link = await createLink(person, 7);
    await setRow(link, { lastUsedAt: new Date(Date.now() - 2 * 3_600_000), expiresAt: new Date(Date.now() + 3_600_000) });

    const before = Date.now();
    expect(await readShared(link.token)).not.toBeNull();
    const row = await rowOf(link);
    const after = Date.now();
    expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(after + 7 * DAY_MS);
    expect(row.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('renews a never-used link on its first use, and then not again within the hour', async () => {
    const person = await newPerson();
    const link = await createLink(person, 3);
    const soon = new Date(Date.now() + 3_600_000);
    await setRow(link, { expiresAt: soon });
    expect(await readShared(link.token)).not.toBeNull();
    const renewed = await rowOf(link);
    expect(renewed.lastUsedAt).not.toBeNull();
    expect(renewed.expiresAt.getTime() - Date.now()).toBeGreaterThan(2.9 * DAY_MS);

    await setRow(link, { lastUsedAt: new Date(Date.now() - 10 * 60_000), expiresAt: soon });
    expect(await readShared(link.token)).not.toBeNull();
    expect((await rowOf(link)).expiresAt.getTime()).toBe(soon.getTime());
  });
});

describe('purge and listing', () => {
  async function threeLinks() {
    const person = await newPerson();
    const live = await createLink(person);
    const revoked = await createLink(person);
    const expired = await createLink(person);
    const revokeData = await server.gql(REVOKE, { id: revoked.shareLink.id }, { token: person.token });
    expect(revokeData.revokeShareLink.__typename).toBe('RevokeShareLinkSuccess');
    await setRow(expired, { expiresAt: new Date(Date.now() - 60_000) });
    return { person, live, revoked, expired };
  }

  it('the purge job deletes expired and revoked links and keeps live ones', async () => {
    const { live, revoked, expired } = await threeLinks();
    const run = await server.app.scheduler.runNow('purge-expired');
    await server.app.runs.idle();
    const done = await server.app.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(done.status).toBe('COMPLETED');
    expect((done.progress as { shareLinks: number }).shareLinks).toBeGreaterThanOrEqual(2);
    const prisma = server.app.db.prisma;
    const ids = [live, revoked, expired].map((l) => rawId(l.shareLink.id));
    const left = await prisma.shareLink.findMany({ where: { id: { in: ids } } });
    expect(left.map((l) => l.id)).toEqual([rawId(live.shareLink.id)]);
    expect(await readShared(live.token)).not.toBeNull();
  });

  it('me.shareLinks lists only live links', async () => {
    const { person, live } = await threeLinks();
    const data = await server.gql(MY_LINKS, {}, { token: person.token });
    expect(data.me?.shareLinks.edges.map((e) => e.node.prefix)).toEqual([live.shareLink.prefix]);
    expect(data.me?.shareLinks.edges.map((e) => e.node.id)).toEqual([live.shareLink.id]);
  });
});

/** The uuid inside a Relay global id (`ShareLink:<uuid>` in base64). */
function rawId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}
