import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import type { MediaInput, RecordWatchInput } from './gql/graphql.js';
import { normalizeTitle } from '../src/services/library/titles.js';
import { createTestDatabase } from './support/database.js';
import { ROOT } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

const CREATE = graphql(`
  mutation ShowsCreateMedia($input: MediaInput!) {
    createMedia(input: $input) {
      __typename
      ... on MediaSuccess {
        media {
          id
          kind
          title
          seasonNumber
          episodeNumber
          show {
            id
          }
          season {
            id
          }
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

const UPDATE = graphql(`
  mutation ShowsUpdateMedia($id: ID!, $input: UpdateMediaInput!) {
    updateMedia(id: $id, input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);

const RECORD = graphql(`
  mutation ShowsRecordWatch($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on RecordWatchSuccess {
        watchEvent {
          id
          watchedAt
          media {
            id
            title
            seriesTitle
            show {
              id
            }
          }
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

const SHOWS = graphql(`
  query ShowsProgress($search: String) {
    shows(search: $search) {
      edges {
        node {
          id
          title
          progress {
            watched
            total
            percent
            lastWatchedAt
            nextEpisode {
              title
              seasonNumber
              episodeNumber
            }
          }
          episodes {
            edges {
              node {
                title
              }
            }
          }
        }
      }
    }
  }
`);

const BACKFILL = graphql(`
  mutation ShowsBackfill($dryRun: Boolean) {
    backfillShows(dryRun: $dryRun) {
      dryRun
      examined
      linked
      showsCreated
      unmatched
      changes {
        episodeId
        episodeTitle
        showTitle
        createsShow
      }
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

type Person = Awaited<ReturnType<TestServer['newPerson']>>;

const userIdOf = async (srv: TestServer, person: Person) =>
  (await srv.app.db.prisma.user.findUniqueOrThrow({ where: { email: person.email } })).id;

async function create(person: Person, input: MediaInput, srv = server) {
  const data = await srv.gql(CREATE, { input }, { token: person.token });
  if (data.createMedia.__typename !== 'MediaSuccess') throw new Error(`createMedia failed: ${JSON.stringify(data)}`);
  return data.createMedia.media;
}

async function record(person: Person, input: RecordWatchInput, srv = server) {
  const data = await srv.gql(RECORD, { input }, { token: person.token });
  if (data.recordWatch.__typename !== 'RecordWatchSuccess') throw new Error(`recordWatch failed: ${JSON.stringify(data)}`);
  return data.recordWatch.watchEvent;
}

async function showsOf(person: Person, search?: string) {
  return (await server.gql(SHOWS, { search }, { token: person.token })).shows.edges.map((e) => e.node);
}

async function showOf(person: Person, title: string) {
  const show = (await showsOf(person)).find((s) => s.title === title);
  if (!show) throw new Error(`no show ${title}`);
  return show;
}

/** A show with one SEASON per season number used and the episodes `S<s>E<e>`, created in a shuffled order. */
async function buildShow(person: Person, title: string, episodes: [number, number][]) {
  const show = await create(person, { kind: 'SHOW', title, year: 2010 });
  const seasons = new Map<number, string>();
  for (const season of [...new Set(episodes.map(([s]) => s))]) {
    const made = await create(person, { kind: 'SEASON', title: `${title} season ${season}`, showId: show.id, seasonNumber: season });
    expect(made.show?.id).toBe(show.id);
    seasons.set(season, made.id);
  }
  const ids = new Map<string, string>();
  for (const [s, e] of [...episodes].reverse()) {
    const made = await create(person, { kind: 'EPISODE', title: `S${s}E${e}`, showId: show.id, seasonNumber: s, episodeNumber: e });
    expect(made.show?.id).toBe(show.id);
    expect(made.season?.id).toBe(seasons.get(s));
    ids.set(`S${s}E${e}`, made.id);
  }
  return { show, ids };
}

let clock = Date.parse('2024-03-01T20:00:00Z');
const nextInstant = () => new Date((clock += 3_600_000)).toISOString();

async function watch(person: Person, mediaId: string) {
  return record(person, { mediaId, watchedAt: nextInstant() });
}

describe('show progress', () => {
  it('starts at 0 of N with S1E1 next, specials neither counted nor next, episodes in airing order', async () => {
    const person = await server.newPerson();
    await buildShow(person, 'Severance', [
      [0, 1],
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
    ]);
    const show = await showOf(person, 'Severance');
    expect(show.progress).toEqual({
      watched: 0,
      total: 4,
      percent: 0,
      lastWatchedAt: null,
      nextEpisode: { title: 'S1E1', seasonNumber: 1, episodeNumber: 1 },
    });
    expect(show.episodes.edges.map((e) => e.node.title)).toEqual(['S0E1', 'S1E1', 'S1E2', 'S1E3', 'S2E1']);
  });

  it('moves on as episodes are watched, ignores watched specials, and ends at 100% with nothing next', async () => {
    const person = await server.newPerson();
    const { ids } = await buildShow(person, 'Andor', [
      [0, 1],
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
    ]);
    await watch(person, ids.get('S1E1')!);
    const last = await watch(person, ids.get('S1E2')!);
    let show = await showOf(person, 'Andor');
    expect(show.progress).toMatchObject({
      watched: 2,
      total: 4,
      percent: 50,
      lastWatchedAt: last.watchedAt,
      nextEpisode: { title: 'S1E3', seasonNumber: 1, episodeNumber: 3 },
    });

    await watch(person, ids.get('S0E1')!);
    show = await showOf(person, 'Andor');
    expect(show.progress).toMatchObject({ watched: 2, total: 4, nextEpisode: { title: 'S1E3' } });

    await watch(person, ids.get('S1E3')!);
    show = await showOf(person, 'Andor');
    expect(show.progress).toMatchObject({ watched: 3, total: 4, percent: 75, nextEpisode: { title: 'S2E1' } });

    const final = await watch(person, ids.get('S2E1')!);
    show = await showOf(person, 'Andor');
    expect(show.progress).toEqual({ watched: 4, total: 4, percent: 100, lastWatchedAt: final.watchedAt, nextEpisode: null });
  });

  it('counts an episode watched twice once, and rounds percent to one decimal', async () => {
    const person = await server.newPerson();
    const { ids } = await buildShow(person, 'Dark', [
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    await watch(person, ids.get('S1E1')!);
    await watch(person, ids.get('S1E1')!);
    const show = await showOf(person, 'Dark');
    expect(show.progress).toMatchObject({ watched: 1, total: 3, percent: 33.3, nextEpisode: { title: 'S1E2' } });
  });

  it('after a gap, offers the episode after the furthest watched, else the gap', async () => {
    const person = await server.newPerson();
    const four = await buildShow(person, 'Gap Four', [
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    await watch(person, four.ids.get('S1E1')!);
    await watch(person, four.ids.get('S1E3')!);
    const three = await buildShow(person, 'Gap Three', [
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    await watch(person, three.ids.get('S1E1')!);
    await watch(person, three.ids.get('S1E3')!);

    expect((await showOf(person, 'Gap Four')).progress).toMatchObject({ watched: 2, total: 4, nextEpisode: { title: 'S1E4' } });
    expect((await showOf(person, 'Gap Three')).progress).toMatchObject({ watched: 2, total: 3, nextEpisode: { title: 'S1E2' } });
  });

  it("lists only the viewer's shows, with their own progress", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const { ids } = await buildShow(ann, 'Shared Name', [[1, 1]]);
    await buildShow(bob, 'Shared Name', [
      [1, 1],
      [1, 2],
    ]);
    await watch(ann, ids.get('S1E1')!);
    const bobs = await showsOf(bob);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]!.progress).toMatchObject({ watched: 0, total: 2 });
    const anns = await showsOf(ann, 'shared name');
    expect(anns).toHaveLength(1);
    expect(anns[0]!.progress).toMatchObject({ watched: 1, total: 1, percent: 100, nextEpisode: null });
  });
});

const orphan = (title: string, seriesTitle: string | null, season: number, episode: number, extra: Partial<MediaInput> = {}) => ({
  kind: 'EPISODE' as const,
  title,
  ...(seriesTitle ? { seriesTitle } : {}),
  seasonNumber: season,
  episodeNumber: episode,
  ...extra,
});

/** An episode as recordWatch left it before it put episodes under their show (what backfill is for), watched once. */
async function legacyEpisode(
  person: Person,
  title: string,
  seriesTitle: string | null,
  season: number,
  episode: number,
  seriesIds?: Record<string, string>,
  srv = server,
): Promise<string> {
  const prisma = srv.app.db.prisma;
  const userId = await userIdOf(srv, person);
  const media = await prisma.media.create({
    data: {
      userId,
      kind: 'EPISODE',
      title,
      normalizedTitle: normalizeTitle(title),
      seriesTitle,
      ...(seriesIds ? { seriesIds } : {}),
      seasonNumber: season,
      episodeNumber: episode,
    },
  });
  await prisma.watchEvent.create({ data: { userId, mediaId: media.id, watchedAt: new Date(nextInstant()), source: 'MANUAL' } });
  return media.id;
}

describe('recordWatch puts an episode under its show', () => {
  it('creates the show an episode recorded alone belongs to, with the series ids, and lists it under shows', async () => {
    const person = await server.newPerson();
    const event = await record(person, {
      media: orphan('Winter Is Coming', 'Game of Thrones', 1, 1, { seriesExternalIds: { tvdb: '121361' } }),
      watchedAt: nextInstant(),
    });
    const shows = await showsOf(person);
    expect(shows.map((s) => s.title)).toEqual(['Game of Thrones']);
    expect(rawId(event.media.show!.id)).toBe(rawId(shows[0]!.id));
    expect(shows[0]!.episodes.edges.map((e) => e.node.title)).toEqual(['Winter Is Coming']);
    expect(shows[0]!.progress).toMatchObject({ watched: 1, total: 1, percent: 100 });
    expect((await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(shows[0]!.id) } })).tvdbId).toBe('121361');
    expect((await server.gql(BACKFILL, { dryRun: true }, { token: person.token })).backfillShows.examined).toBe(0);
  });

  it('puts a second episode of the series, by its title or by its ids alone, under the same show', async () => {
    const person = await server.newPerson();
    const first = await record(person, {
      media: orphan('Winter Is Coming', 'Game of Thrones', 1, 1, { seriesExternalIds: { tvdb: '121361' } }),
      watchedAt: nextInstant(),
    });
    const byTitle = await record(person, { media: orphan('The Kingsroad', 'game of thrones!', 1, 2), watchedAt: nextInstant() });
    const byIds = await record(person, {
      media: orphan('Lord Snow', null, 1, 3, { seriesExternalIds: { tvdb: '121361' } }),
      watchedAt: nextInstant(),
    });
    const showId = first.media.show?.id;
    expect(showId).toBeTruthy();
    expect(byTitle.media.show?.id).toBe(showId);
    expect(byIds.media.show?.id).toBe(showId);
    const shows = await showsOf(person);
    expect(shows).toHaveLength(1);
    expect(shows[0]!.episodes.edges.map((e) => e.node.title)).toEqual(['Winter Is Coming', 'The Kingsroad', 'Lord Snow']);
    expect(shows[0]!.progress).toMatchObject({ watched: 3, total: 3 });
  });

  it("joins the existing show holding one of the series' ids, whatever the series title", async () => {
    const person = await server.newPerson();
    const uk = await create(person, { kind: 'SHOW', title: 'Shameless', year: 2004, externalIds: { tmdb: '1906' } });
    const us = await create(person, { kind: 'SHOW', title: 'Shameless (US)', year: 2011, externalIds: { tmdb: '34307' } });
    const event = await record(person, {
      media: orphan('Pilot Of Shameless US', 'Shameless', 1, 1, { seriesExternalIds: { tmdb: '34307' } }),
      watchedAt: nextInstant(),
    });
    expect(event.media.show?.id).toBe(us.id);
    expect(event.media.show?.id).not.toBe(uk.id);
    expect(await server.app.db.prisma.media.count({ where: { userId: await userIdOf(server, person), kind: 'SHOW' } })).toBe(2);
  });

  it('keeps same-titled episodes of different series apart, each under its own show', async () => {
    const person = await server.newPerson();
    const a = await record(person, { media: orphan('Pilot', 'Series Alpha', 1, 1), watchedAt: nextInstant() });
    const b = await record(person, { media: orphan('Pilot', 'Series Bravo', 1, 1), watchedAt: nextInstant() });
    expect(b.media.seriesTitle).toBe('Series Bravo');
    expect(b.media.id).not.toBe(a.media.id);
    expect(b.media.show?.id).not.toBe(a.media.show?.id);
    expect((await showsOf(person)).map((s) => s.title).sort()).toEqual(['Series Alpha', 'Series Bravo']);
  });

  it('leaves an episode without a show when nothing names its series, or only ids the library does not know', async () => {
    const person = await server.newPerson();
    const untitled = await record(person, { media: orphan('Mystery Episode', null, 3, 7), watchedAt: nextInstant() });
    const unknownIds = await record(person, {
      media: orphan('Ids Only Episode', null, 1, 1, { seriesExternalIds: { tmdb: '999001' } }),
      watchedAt: nextInstant(),
    });
    expect(untitled.media.show).toBeNull();
    expect(unknownIds.media.show).toBeNull();
    expect(await showsOf(person)).toEqual([]);
    const again = await record(person, { media: orphan('Mystery Episode', null, 3, 7), watchedAt: nextInstant() });
    expect(again.media.id).toBe(untitled.media.id);
  });

  it('refuses an over-long series title with a ValidationError, creating nothing', async () => {
    const person = await server.newPerson();
    const input = { media: orphan('Long Series Pilot', 'S'.repeat(501), 1, 1), watchedAt: nextInstant() };
    const data = await server.gql(RECORD, { input }, { token: person.token });
    expect(data.recordWatch).toMatchObject({ __typename: 'ValidationError', path: ['seriesTitle'] });
    expect(await server.app.db.prisma.media.count({ where: { userId: await userIdOf(server, person) } })).toBe(0);
  });
});

describe('backfillShows', () => {
  /** Episodes recorded before their show was in the library: what backfill is for. */
  async function orphanLibrary(person: Person) {
    const e1 = await legacyEpisode(person, 'Winter Is Coming', 'Game of Thrones', 1, 1);
    const e2 = await legacyEpisode(person, 'The Kingsroad', 'game of thrones!', 1, 2);
    const bb = await legacyEpisode(person, 'Pilot Of Breaking Bad', 'Breaking Bad', 1, 1);
    const lost = await legacyEpisode(person, 'Mystery Episode', null, 3, 7);
    const got = await create(person, { kind: 'SHOW', title: 'Game of Thrones', year: 2011 });
    const season = await create(person, { kind: 'SEASON', title: 'Season 1', showId: got.id, seasonNumber: 1 });
    return { got, season, e1, e2, bb, lost };
  }

  it('reports on a dry run and writes nothing', async () => {
    const person = await server.newPerson();
    const lib = await orphanLibrary(person);
    const userId = await userIdOf(server, person);
    const before = await server.app.db.prisma.media.findMany({ where: { userId }, orderBy: { id: 'asc' } });

    const data = await server.gql(BACKFILL, { dryRun: true }, { token: person.token });
    const report = data.backfillShows;
    expect(report).toMatchObject({ dryRun: true, examined: 4, linked: 3, showsCreated: 1, unmatched: 1 });
    const byTitle = Object.fromEntries(report.changes.map((c) => [c.episodeTitle, c]));
    expect(byTitle['Winter Is Coming']).toMatchObject({ showTitle: 'Game of Thrones', createsShow: false, episodeId: lib.e1 });
    expect(byTitle['The Kingsroad']).toMatchObject({ showTitle: 'Game of Thrones', createsShow: false });
    expect(byTitle['Pilot Of Breaking Bad']).toMatchObject({ showTitle: 'Breaking Bad', createsShow: true });
    expect(byTitle['Mystery Episode']).toBeUndefined();

    const after = await server.app.db.prisma.media.findMany({ where: { userId }, orderBy: { id: 'asc' } });
    expect(after).toEqual(before);
    expect(await server.app.db.prisma.media.count({ where: { userId, kind: 'SHOW' } })).toBe(1);
  });

  it('links episodes to the show of the same normalized title, creates missing shows, and leaves the rest unmatched', async () => {
    const person = await server.newPerson();
    const lib = await orphanLibrary(person);
    const userId = await userIdOf(server, person);

    const report = (await server.gql(BACKFILL, {}, { token: person.token })).backfillShows;
    expect(report).toMatchObject({ dryRun: false, examined: 4, linked: 3, showsCreated: 1, unmatched: 1 });

    const prisma = server.app.db.prisma;
    const got = rawId(lib.got.id);
    for (const episode of [lib.e1, lib.e2]) {
      expect(await prisma.media.findUniqueOrThrow({ where: { id: episode } })).toMatchObject({
        showId: got,
        seasonId: rawId(lib.season.id),
      });
    }
    const created = await prisma.media.findFirstOrThrow({ where: { userId, kind: 'SHOW', title: 'Breaking Bad' } });
    expect(await prisma.media.findUniqueOrThrow({ where: { id: lib.bb } })).toMatchObject({ showId: created.id });
    expect(await prisma.media.findUniqueOrThrow({ where: { id: lib.lost } })).toMatchObject({ showId: null });
    expect(await prisma.media.count({ where: { userId, kind: 'SHOW' } })).toBe(2);

    const show = await showOf(person, 'Game of Thrones');
    expect(show.progress).toMatchObject({ watched: 2, total: 2, percent: 100 });
    expect(show.episodes.edges.map((e) => e.node.title)).toEqual(['Winter Is Coming', 'The Kingsroad']);

    const again = (await server.gql(BACKFILL, {}, { token: person.token })).backfillShows;
    expect(again).toMatchObject({ examined: 1, linked: 0, showsCreated: 0, unmatched: 1, changes: [] });
  });

  it("matches by the series' external ids before the title, and gives created shows those ids", async () => {
    const person = await server.newPerson();
    const episode = await legacyEpisode(person, 'Pilot Of Shameless US', 'Shameless', 1, 1, { tmdb: '34307' });
    const titled = await legacyEpisode(person, 'Pilot Of Shameless UK', 'Shameless', 1, 1);
    const fresh = await legacyEpisode(person, 'First Of Fresh', 'Fresh Series', 1, 1, { tvdb: '98765' });
    const uk = await create(person, { kind: 'SHOW', title: 'Shameless', year: 2004, externalIds: { tmdb: '1906' } });
    const us = await create(person, { kind: 'SHOW', title: 'Shameless (US)', year: 2011, externalIds: { tmdb: '34307' } });

    const report = (await server.gql(BACKFILL, {}, { token: person.token })).backfillShows;
    expect(report).toMatchObject({ examined: 3, linked: 3, showsCreated: 1, unmatched: 0 });
    const byTitle = Object.fromEntries(report.changes.map((c) => [c.episodeTitle, c]));
    expect(byTitle['Pilot Of Shameless US']).toMatchObject({ showTitle: 'Shameless (US)', createsShow: false });
    expect(byTitle['Pilot Of Shameless UK']).toMatchObject({ showTitle: 'Shameless', createsShow: false });

    const prisma = server.app.db.prisma;
    expect((await prisma.media.findUniqueOrThrow({ where: { id: episode } })).showId).toBe(rawId(us.id));
    expect((await prisma.media.findUniqueOrThrow({ where: { id: titled } })).showId).toBe(rawId(uk.id));
    const created = await prisma.media.findFirstOrThrow({ where: { userId: await userIdOf(server, person), kind: 'SHOW', title: 'Fresh Series' } });
    expect(created.tvdbId).toBe('98765');
    expect((await prisma.media.findUniqueOrThrow({ where: { id: fresh } })).showId).toBe(created.id);
  });

  it("keeps an episode's series ids when the episode is edited", async () => {
    const person = await server.newPerson();
    // createMedia, unlike recordWatch, never creates a show: the episode waits for it
    const episode = await create(person, orphan('Edited Pilot', 'Shameless', 1, 1, { seriesExternalIds: { tmdb: '34307' } }));
    expect(episode.show).toBeNull();
    await create(person, { kind: 'SHOW', title: 'Shameless', externalIds: { tmdb: '1906' } });
    const us = await create(person, { kind: 'SHOW', title: 'Shameless (US)', externalIds: { tmdb: '34307' } });
    const id = rawId(episode.id);
    expect((await server.app.db.prisma.media.findUniqueOrThrow({ where: { id } })).seriesIds).toEqual({ tmdb: '34307' });

    const updated = await server.gql(UPDATE, { id: episode.id, input: { runtime: 55 } }, { token: person.token });
    expect(updated.updateMedia.__typename).toBe('MediaSuccess');
    expect((await server.app.db.prisma.media.findUniqueOrThrow({ where: { id } })).seriesIds).toEqual({ tmdb: '34307' });

    // the edit links it to its show, found by the kept series ids rather than the ambiguous title
    expect((await server.app.db.prisma.media.findUniqueOrThrow({ where: { id } })).showId).toBe(rawId(us.id));
    const report = (await server.gql(BACKFILL, {}, { token: person.token })).backfillShows;
    expect(report.changes).toEqual([]);
  });

  it('links an episode recorded inline to its show at once when the show is already in the library', async () => {
    const person = await server.newPerson();
    const show = await create(person, { kind: 'SHOW', title: 'Severance', externalIds: { tmdb: '95396' } });
    const byTitle = await record(person, { media: orphan('Good News About Hell', 'severance', 1, 1), watchedAt: nextInstant() });
    const byIds = await record(person, {
      media: orphan('Half Loop', 'Some Other Name', 1, 2, { seriesExternalIds: { tmdb: '95396' } }),
      watchedAt: nextInstant(),
    });
    expect(byTitle.media.show?.id).toBe(show.id);
    expect(byIds.media.show?.id).toBe(show.id);
    const again = await record(person, { media: orphan('Good News About Hell', 'Severance', 1, 1), watchedAt: nextInstant() });
    expect(again.media.id).toBe(byTitle.media.id);
    const report = (await server.gql(BACKFILL, { dryRun: true }, { token: person.token })).backfillShows;
    expect(report.examined).toBe(0);
  });
});

describe('the backfill-shows CLI', () => {
  it('reports with --dry-run, then links, only for the person named by --email', async () => {
    const db = await createTestDatabase();
    try {
      let srv = await startTestServer({ database: db });
      const ann = await srv.newPerson();
      const bob = await srv.newPerson();
      try {
        await legacyEpisode(ann, 'Dulcinea', 'The Expanse', 1, 1, undefined, srv);
        await create(ann, { kind: 'SHOW', title: 'The Expanse' }, srv);
        await record(ann, { media: orphan('Cli Nowhere', null, 1, 1), watchedAt: nextInstant() }, srv);
        await legacyEpisode(bob, 'Bob Orphan', 'Bob Series', 1, 1, undefined, srv);
      } finally {
        await srv.stop();
      }
      const env = { ...db.env, KLUG_SECRET_KEY: 'test-secret-key-of-at-least-thirty-two-characters' };

      const dry = await runCli(['--dry-run', '--email', ann.email.toUpperCase()], env);
      expect(dry.code, dry.output).toBe(0);
      expect(dry.output).toContain(`${ann.email}: would link 1 of 2 (0 new shows, 1 unmatched)`);
      expect(dry.output).toContain('Dulcinea → The Expanse');
      expect(dry.output).not.toContain(bob.email);

      srv = await startTestServer({ database: db });
      try {
        const annId = await userIdOf(srv, ann);
        expect(await srv.app.db.prisma.media.count({ where: { userId: annId, kind: 'EPISODE', showId: { not: null } } })).toBe(0);
      } finally {
        await srv.stop();
      }

      const real = await runCli(['--email', ann.email], env);
      expect(real.code, real.output).toBe(0);
      expect(real.output).toContain(`${ann.email}: linked 1 of 2 (0 new shows, 1 unmatched)`);

      const missing = await runCli(['--email', 'nobody-here@example.com'], env);
      expect(missing.code).toBe(1);
      expect(missing.output).toContain('no account with email nobody-here@example.com');

      srv = await startTestServer({ database: db });
      try {
        const prisma = srv.app.db.prisma;
        const annId = await userIdOf(srv, ann);
        const show = await prisma.media.findFirstOrThrow({ where: { userId: annId, kind: 'SHOW', title: 'The Expanse' } });
        expect(await prisma.media.findFirstOrThrow({ where: { userId: annId, title: 'Dulcinea' } })).toMatchObject({ showId: show.id });
        const bobId = await userIdOf(srv, bob);
        expect(await prisma.media.findFirstOrThrow({ where: { userId: bobId, title: 'Bob Orphan' } })).toMatchObject({ showId: null });
        expect(await prisma.media.count({ where: { userId: bobId, kind: 'SHOW' } })).toBe(0);
      } finally {
        await srv.stop();
      }
    } finally {
      await db.drop();
    }
  });
});

/** Runs the CLI with argv, as `npm run backfill:shows -- …` would, and collects its output. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/backfill-shows.ts', ...args], {
    cwd: ROOT,
    env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The uuid inside a Relay global id (`Media:<uuid>` in base64). */
function rawId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}
