import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { FakeJellyfin, dotnetDate, guid, type FakeItem, type FakeStream } from './support/fake-jellyfin.js';
import { FakeJellyseerr, type FakeRequest } from './support/fake-jellyseerr.js';
import { ADD_ALLOWLIST, INSIGHTS, UPDATE_SETTINGS } from './support/insights.js';
import { connect, syncAndWait } from './support/media-servers.js';
import { startTestServer, type TestServer } from './support/server.js';

/** Every insight is judged at this instant: the cut-offs below are exact. */
const NOW = new Date('2025-06-15T12:00:00.000Z');
const ms = (iso: string, delta = 0) => new Date(new Date(iso).getTime() + delta).toISOString();

let server: TestServer;
let now = NOW;
beforeAll(async () => {
  server = await startTestServer();
  server.app.services.insights.clock = () => now;
});
afterAll(() => server?.stop());

const fakes: { stop(): Promise<void> }[] = [];
afterAll(() => Promise.all(fakes.map((f) => f.stop())));

let n = 0;
function film(name: string, fields: { added?: string | null; size?: number | number[]; audio?: (string | undefined)[]; subtitles?: string[]; tmdb?: string } = {}): FakeItem {
  const streams: FakeStream[] = [{ type: 'Video' }, ...(fields.audio ?? ['eng', 'fre']).map((language) => ({ type: 'Audio' as const, language })), ...(fields.subtitles ?? ['fre']).map((language) => ({ type: 'Subtitle' as const, language }))];
  const sizes = Array.isArray(fields.size) ? fields.size : [fields.size ?? 2e9];
  return {
    id: guid(++n, 7),
    type: 'Movie',
    name,
    year: 2010,
    ...(fields.added === null ? {} : { dateCreated: dotnetDate(fields.added ?? '2024-01-01T00:00:00Z') }),
    providerIds: { Tmdb: fields.tmdb ?? String(5000 + n) },
    sources: sizes.map((size, i) => ({ size, path: `/media/${name}/${i}.mkv`, streams })),
  };
}

/** A person with one Jellyfin (and one Jellyseerr, when requests are given) synced; titles → global ids. */
async function personWith(items: FakeItem[], plays: [string, string | undefined][] = [], requests: [FakeRequest, string | null, string | null][] = []) {
  const person = await server.newPerson();
  const jellyfin = await new FakeJellyfin().start();
  fakes.push(jellyfin);
  jellyfin.add(...items).addUser({ id: guid(1, 99), name: 'alice' });
  for (const [title, at] of plays) jellyfin.play(guid(1, 99), items.find((i) => i.name === title)!.id, at);
  await connect(server, person.token, { kind: 'JELLYFIN', url: jellyfin.url, apiKey: jellyfin.apiKey });
  if (requests.length) {
    const seerr = await new FakeJellyseerr().start();
    fakes.push(seerr);
    for (const [request, title, released] of requests) seerr.addRequest(request, title ? { title, releaseDate: released ?? '' } : undefined);
    await connect(server, person.token, { kind: 'JELLYSEERR', url: seerr.url, apiKey: seerr.apiKey });
  }
  const synced = await syncAndWait(server, person.token);
  expect(synced.every((s) => s.syncStatus === 'IDLE')).toBe(true);
  const insights = async (first = 50, after: string | null = null) => (await server.gql(INSIGHTS, { first, after }, { token: person.token })).insights;
  const all = await insights();
  const ids = new Map<string, string>();
  for (const list of [all.oldUnwatched, all.largeMovies, all.languageIssues, all.unavailableRequests, all.recentlyAvailable]) for (const e of list.edges) ids.set(e.node.title ?? '', e.node.id);
  return { person, insights, ids, jellyfin };
}

const titles = (list: { edges: { node: { title?: string | null } }[] }) => list.edges.map((e) => e.node.title);

async function allow(token: string, kind: 'CONTENT' | 'FRENCH_ONLY' | 'FRENCH_SUBS_ONLY' | 'LANGUAGE_EXEMPT', itemId: string, expiresAt?: string) {
  const data = await server.gql(ADD_ALLOWLIST, { input: { kind, itemId, expiresAt: expiresAt ?? null } }, { token });
  if (data.addAllowlistEntry.__typename !== 'AllowlistEntrySuccess') throw new Error(JSON.stringify(data.addAllowlistEntry));
  return data.addAllowlistEntry.allowlistEntry;
}

describe('oldUnwatched', () => {
  it('lists what was not played in 4 months and was added more than 3 months ago, to the millisecond, oldest activity first', async () => {
    const series: FakeItem = { id: guid(500, 7), type: 'Series', name: 'Old Show', year: 2001, dateCreated: dotnetDate('2024-01-01T00:00:00Z'), providerIds: { Tmdb: '77' } };
    const episode: FakeItem = { id: guid(501, 7), type: 'Episode', name: 'Pilot', seriesId: series.id, seriesName: 'Old Show', season: 1, episode: 1, dateCreated: dotnetDate('2024-02-01T00:00:00Z'), sources: [{ size: 1e9, streams: [] }] };
    const { person, insights, ids } = await personWith(
      [
        film('added just before the cut-off', { added: ms('2025-03-15T12:00:00Z', -1) }),
        film('added at the cut-off', { added: '2025-03-15T12:00:00Z' }),
        film('played at the cut-off'),
        film('played just before the cut-off'),
        film('added on an unknown date', { added: null }),
        film('played on an unknown date'),
        film('kept for ever'),
        series,
        episode,
      ],
      [
        ['played at the cut-off', '2025-02-15T12:00:00Z'],
        ['played just before the cut-off', ms('2025-02-15T12:00:00Z', -1)],
        ['played on an unknown date', undefined],
        ['Pilot', '2024-06-01T20:00:00Z'],
      ],
    );
    const { oldUnwatched } = await insights();
    expect(titles(oldUnwatched)).toEqual(['kept for ever', 'Old Show', 'played just before the cut-off', 'added just before the cut-off']);
    expect(oldUnwatched).toMatchObject({ totalCount: 4, unknownDateCount: 2 });
    const reasons = new Map(oldUnwatched.edges.map((e) => [e.node.title, e.reasons]));
    expect(reasons.get('kept for ever')).toEqual(['never played: not played in the last 4 months', 'added 2024-01-01 (17 months ago), more than 3 months ago', '2.0 GB on disk']);
    expect(reasons.get('played just before the cut-off')![0]).toBe('last played 2025-02-15 by alice (3 months ago): not played in the last 4 months');
    expect(reasons.get('Old Show')).toContain('1 episode, 1.0 GB on disk');

    // pages follow the same order
    const first = await insights(2);
    expect(titles(first.oldUnwatched)).toEqual(['kept for ever', 'Old Show']);
    expect(first.oldUnwatched.pageInfo.hasNextPage).toBe(true);
    const second = await insights(2, first.oldUnwatched.pageInfo.endCursor);
    expect(titles(second.oldUnwatched)).toEqual(['played just before the cut-off', 'added just before the cut-off']);
    expect(second.oldUnwatched.pageInfo.hasNextPage).toBe(false);

    // a CONTENT entry keeps an item out until it expires
    const entry = await allow(person.token, 'CONTENT', ids.get('kept for ever')!, ms(NOW.toISOString(), 86_400_000));
    expect(entry).toMatchObject({ kind: 'CONTENT', targetKind: 'MOVIE', title: 'kept for ever', active: true });
    expect(titles((await insights()).oldUnwatched)).not.toContain('kept for ever');
    now = new Date(NOW.getTime() + 86_400_000 + 1);
    try {
      expect(titles((await insights()).oldUnwatched)).toContain('kept for ever');
    } finally {
      now = NOW;
    }
    // a series entry covers the series
    await allow(person.token, 'CONTENT', ids.get('Old Show')!);
    expect(titles((await insights()).oldUnwatched)).toEqual(['played just before the cut-off', 'added just before the cut-off']);
  });
});

describe('largeMovies', () => {
  it('lists movies above the threshold, all versions counted, biggest first', async () => {
    const { person, insights, ids } = await personWith([
      film('exactly 13 GB', { size: 13e9 }),
      film('one byte more', { size: 13e9 + 1 }),
      film('two versions', { size: [7e9, 7e9] }),
      film('huge but kept', { size: 40e9 }),
      film('small', { size: 1e9 }),
    ]);
    await allow(person.token, 'CONTENT', ids.get('huge but kept')!);
    const { largeMovies } = await insights();
    expect(largeMovies.edges.map((e) => [e.node.title, e.node.sizeBytes])).toEqual([
      ['two versions', 14e9],
      ['one byte more', 13e9 + 1],
    ]);
    expect(largeMovies.edges[0]!.reasons).toEqual(['14.0 GB on disk, above the 13 GB threshold', '2 versions (files) counted together', 'never played']);
    await server.gql(UPDATE_SETTINGS, { input: { largeMovieGb: 12.5 } }, { token: person.token });
    expect(titles((await insights()).largeMovies)).toEqual(['two versions', 'one byte more', 'exactly 13 GB']);
  });
});

describe('languageIssues', () => {
  it('flags missing English audio, French audio or French subtitles, reading every form of language tag', async () => {
    const series: FakeItem = { id: guid(600, 7), type: 'Series', name: 'Show', year: 2020, dateCreated: dotnetDate('2024-01-01T00:00:00Z'), providerIds: { Tmdb: '88' } };
    const ep = (e: number): FakeItem => ({ id: guid(600 + e, 7), type: 'Episode', name: `Episode ${e}`, seriesId: series.id, seriesName: 'Show', season: 1, episode: e, dateCreated: dotnetDate('2024-01-02T00:00:00Z'), sources: [{ size: 1e9, streams: [{ type: 'Audio', language: 'eng' }, { type: 'Subtitle', language: 'fre' }] }] });
    const { person, insights, ids } = await personWith([
      film('all three', { audio: ['eng', 'fre'], subtitles: ['fre'] }),
      film('other spellings', { audio: ['en', 'fra'], subtitles: ['fr-FR'] }),
      film('no French audio', { audio: ['eng'], subtitles: ['fre'] }),
      film('French only, untagged track', { audio: ['fre', 'und', undefined], subtitles: [] }),
      film('a French film', { audio: ['fra'], subtitles: ['fre'] }),
      film('a Japanese film', { audio: ['jpn'], subtitles: ['fre'] }),
      film('a German film', { audio: ['ger'], subtitles: [] }),
      series,
      ep(1),
      ep(2),
    ]);
    const issues = async () => (await insights()).languageIssues;
    const before = await issues();
    expect(titles(before)).toEqual(['a French film', 'a German film', 'a Japanese film', 'French only, untagged track', 'no French audio', 'Episode 1', 'Episode 2']);
    const reasons = new Map(before.edges.map((e) => [e.node.title, e.reasons]));
    expect(reasons.get('no French audio')).toEqual(['missing French audio (audio present: English)']);
    expect(reasons.get('French only, untagged track')).toEqual([
      'missing English audio (audio present: French)',
      'missing French subtitles (subtitles present: none)',
      '2 audio tracks without a language tag (or und)',
    ]);
    expect(before.edges.find((e) => e.node.title === 'other spellings')).toBeUndefined();

    await allow(person.token, 'FRENCH_ONLY', ids.get('a French film')!);
    await allow(person.token, 'FRENCH_SUBS_ONLY', ids.get('a Japanese film')!);
    await allow(person.token, 'LANGUAGE_EXEMPT', ids.get('a German film')!);
    await allow(person.token, 'LANGUAGE_EXEMPT', ids.get('Episode 1')!);
    // FRENCH_ONLY still wants French subtitles: a French film without them stays, with the rule said
    await allow(person.token, 'FRENCH_ONLY', ids.get('French only, untagged track')!);
    const after = await issues();
    expect(titles(after)).toEqual(['French only, untagged track', 'no French audio', 'Episode 2']);
    expect(after.edges[0]!.reasons).toEqual([
      'missing French subtitles (subtitles present: none)',
      '2 audio tracks without a language tag (or und)',
      'allowlisted FRENCH_ONLY: English audio is not required',
    ]);
    // the series-level exemption covers its episodes; the settings' languages change the rule
    const seriesEntry = await server.gql(graphql(`mutation ExemptSeries($input: AllowlistEntryInput!) { addAllowlistEntry(input: $input) { __typename } }`), { input: { kind: 'LANGUAGE_EXEMPT', itemId: await seriesId(person.token) } }, { token: person.token });
    expect(seriesEntry.addAllowlistEntry.__typename).toBe('AllowlistEntrySuccess');
    expect(titles(await issues())).toEqual(['French only, untagged track', 'no French audio']);
    await server.gql(UPDATE_SETTINGS, { input: { audioLanguages: ['en'], subtitleLanguages: ['fr'] } }, { token: person.token });
    expect(titles(await issues())).toEqual(['French only, untagged track']);
  });
});

/** The series of the person's cache, through old unwatched (it is old and unplayed). */
async function seriesId(token: string): Promise<string> {
  const data = await server.gql(INSIGHTS, { first: 50, after: null }, { token });
  return data.insights.oldUnwatched.edges.find((e) => e.node.kind === 'SERIES')!.node.id;
}

describe('unavailableRequests and recentlyAvailable', () => {
  const request = (id: number, fields: Partial<FakeRequest>): FakeRequest => ({ id, type: 'movie', tmdbId: 700 + id, status: 2, mediaStatus: 3, createdAt: `2025-01-${String(id).padStart(2, '0')}T10:00:00.000Z`, ...fields });
  it('lists requests still waiting, leaving out future and recent releases while those filters are on', async () => {
    const { person, insights, ids } = await personWith(
      [],
      [],
      [
        [request(1, {}), 'Old release', '2010-07-15'],
        [request(2, { status: 1, mediaStatus: 1 }), 'Coming soon', '2025-06-16'],
        [request(3, { mediaStatus: 2 }), 'Released a day too recently', '2025-03-16'],
        [request(4, {}), 'Released at the cut-off', '2025-03-15'],
        [request(5, { status: 5, mediaStatus: 5, mediaAddedAt: '2025-06-01T00:00:00.000Z' }), 'Available', '2001-01-01'],
        [request(6, { status: 3, mediaStatus: 1 }), 'Declined', '2001-01-01'],
        [request(7, { status: 4, mediaStatus: 1 }), null, null],
        [request(8, { type: 'tv', mediaStatus: 4 }), 'Partly there', '2019-08-22'],
        [request(9, { status: 5, mediaStatus: 7 }), 'Deleted after', '2001-01-01'],
        [request(10, { requestedBy: { displayName: 'Ann' } }), 'Wanted but kept', '2001-01-01'],
      ],
    );
    const list = async () => (await insights()).unavailableRequests;
    expect(titles(await list())).toEqual(['Old release', 'Released at the cut-off', null, 'Partly there', 'Wanted but kept']);
    const reasons = new Map((await list()).edges.map((e) => [e.node.requestId, e.reasons]));
    expect(reasons.get(1)).toEqual(['requested by two@email.com on 2025-01-01 (5 months ago)', 'not available: approved, being processed (downloading)', 'released 2010-07-15']);
    expect(reasons.get(7)).toEqual(['requested by two@email.com on 2025-01-07 (5 months ago)', 'not available: failed in Jellyseerr, not on the server yet', 'release date unknown']);
    expect(reasons.get(10)![0]).toBe('requested by Ann on 2025-01-10 (5 months ago)');
    await allow(person.token, 'CONTENT', ids.get('Wanted but kept')!);
    expect(await list()).toMatchObject({ totalCount: 4 });
    await server.gql(UPDATE_SETTINGS, { input: { excludeFutureReleases: false } }, { token: person.token });
    expect(titles(await list())).toContain('Coming soon');
    await server.gql(UPDATE_SETTINGS, { input: { excludeRecentReleases: false } }, { token: person.token });
    expect((await list()).totalCount).toBe(6);
  });

  it('lists what became available in the last 7 days, newest first, in either status vocabulary', async () => {
    const { insights } = await personWith(
      [],
      [],
      [
        [request(1, { status: 5, mediaStatus: 5, mediaAddedAt: '2025-06-08T12:00:00.000Z' }), 'At the cut-off', '2020-01-01'],
        [request(2, { status: 5, mediaStatus: 5, mediaAddedAt: '2025-06-08T11:59:59.999Z' }), 'A moment too early', '2020-01-01'],
        [request(3, { status: 5, mediaStatus: 5, mediaAddedAt: '2025-06-14T09:00:00.000Z' }), 'Yesterday', '2020-01-01'],
        // Jellyseerr before 2.6: the request stays approved while its media is available
        [request(4, { status: 2, mediaStatus: 5, mediaAddedAt: '2025-06-10T09:00:00.000Z' }), 'Older Jellyseerr', '2020-01-01'],
        [request(5, { status: 2, mediaStatus: 3 }), 'Still processing', '2020-01-01'],
      ],
    );
    const { recentlyAvailable } = await insights();
    expect(recentlyAvailable.edges.map((e) => [e.node.title, e.node.availableAt])).toEqual([
      ['Yesterday', '2025-06-14T09:00:00.000Z'],
      ['Older Jellyseerr', '2025-06-10T09:00:00.000Z'],
      ['At the cut-off', '2025-06-08T12:00:00.000Z'],
    ]);
    expect(recentlyAvailable.edges[0]!.reasons).toEqual(['available since 2025-06-14 (1 day ago), within the last 7 days', 'requested by two@email.com on 2025-01-03']);
  });
});

describe('allowlist entries and settings', () => {
  it('validates entries, lists them with their state, and removes them', async () => {
    const { person, ids } = await personWith([film('a film')], [], [[{ id: 1, type: 'movie', tmdbId: 1, status: 2, mediaStatus: 3, createdAt: '2025-01-01T00:00:00.000Z' }, 'A request', '2001-01-01']]);
    const attempt = async (input: { kind: 'CONTENT' | 'FRENCH_ONLY'; itemId: string; expiresAt?: string; note?: string }) => (await server.gql(ADD_ALLOWLIST, { input }, { token: person.token })).addAllowlistEntry;
    expect(await attempt({ kind: 'FRENCH_ONLY', itemId: ids.get('A request')! })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'itemId'] });
    expect(await attempt({ kind: 'CONTENT', itemId: ids.get('a film')!, expiresAt: ms(NOW.toISOString(), -1) })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'expiresAt'] });
    expect(await attempt({ kind: 'CONTENT', itemId: 'TWVkaWFTZXJ2ZXJJdGVtOm5vcGU=' })).toMatchObject({ __typename: 'NotFoundError' });
    const entry = await attempt({ kind: 'CONTENT', itemId: ids.get('A request')!, note: 'for the kids' });
    expect(entry).toMatchObject({ __typename: 'AllowlistEntrySuccess', allowlistEntry: { targetKind: 'REQUEST', title: 'A request' } });
    const LIST = graphql(`query Allowlist($kind: AllowlistKind) { allowlist(kind: $kind, first: 10) { edges { node { id kind title active } } } }`);
    expect((await server.gql(LIST, { kind: 'CONTENT' }, { token: person.token })).allowlist.edges).toHaveLength(1);
    expect((await server.gql(LIST, { kind: 'FRENCH_ONLY' }, { token: person.token })).allowlist.edges).toHaveLength(0);
    const other = await server.newPerson();
    const REMOVE = graphql(`mutation RemoveAllowlistEntry($id: ID!) { removeAllowlistEntry(id: $id) { __typename } }`);
    const entryId = entry.__typename === 'AllowlistEntrySuccess' ? entry.allowlistEntry.id : '';
    expect((await server.gql(REMOVE, { id: entryId }, { token: other.token })).removeAllowlistEntry.__typename).toBe('NotFoundError');
    expect((await server.gql(ADD_ALLOWLIST, { input: { kind: 'CONTENT', itemId: ids.get('a film')! } }, { token: other.token })).addAllowlistEntry.__typename).toBe('NotFoundError');
    expect((await server.gql(REMOVE, { id: entryId }, { token: person.token })).removeAllowlistEntry.__typename).toBe('DeleteSuccess');
    expect((await server.gql(LIST, {}, { token: person.token })).allowlist.edges).toHaveLength(0);
  });

  it('checks every setting, saves nothing on a refusal, and reads languages in any ISO 639 form', async () => {
    const person = await server.newPerson();
    const GET = graphql(`query JanitorSettings { janitorSettings { oldContentMonths minAgeMonths largeMovieGb recentReleaseMonths recentDays excludeFutureReleases excludeRecentReleases audioLanguages subtitleLanguages } }`);
    const defaults = { oldContentMonths: 4, minAgeMonths: 3, largeMovieGb: 13, recentReleaseMonths: 3, recentDays: 7, excludeFutureReleases: true, excludeRecentReleases: true, audioLanguages: ['eng', 'fre'], subtitleLanguages: ['fre'] };
    expect((await server.gql(GET, {}, { token: person.token })).janitorSettings).toEqual(defaults);
    const update = async (input: Record<string, unknown>) => (await server.gql(UPDATE_SETTINGS, { input }, { token: person.token })).updateJanitorSettings;
    expect(await update({ oldContentMonths: 0 })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'oldContentMonths'] });
    expect(await update({ recentDays: 1000, minAgeMonths: 5 })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'recentDays'] });
    expect(await update({ largeMovieGb: -1 })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'largeMovieGb'] });
    expect(await update({ audioLanguages: ['fr', 'klingon-ish'] })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'audioLanguages', '1'] });
    expect((await server.gql(GET, {}, { token: person.token })).janitorSettings).toEqual(defaults);
    expect(await update({ audioLanguages: ['en', 'de', 'deu'], subtitleLanguages: ['fr', 'French', 'fra', 'FRE'], minAgeMonths: 0 })).toMatchObject({
      __typename: 'JanitorSettingsSuccess',
      settings: { ...defaults, minAgeMonths: 0, audioLanguages: ['eng', 'ger'], subtitleLanguages: ['fre'] },
    });
    const other = await server.newPerson();
    expect((await server.gql(GET, {}, { token: other.token })).janitorSettings).toEqual(defaults);
  });
});

describe('insights belong to their person', () => {
  it("shows another person nothing of someone's cache", async () => {
    const { ids } = await personWith([film('private film', { size: 20e9 })]);
    const other = await server.newPerson();
    const theirs = (await server.gql(INSIGHTS, { first: 10, after: null }, { token: other.token })).insights;
    expect([theirs.oldUnwatched, theirs.largeMovies, theirs.languageIssues, theirs.unavailableRequests, theirs.recentlyAvailable].map((c) => c.totalCount)).toEqual([0, 0, 0, 0, 0]);
    const node = await server.gql(graphql(`query InsightNode($id: ID!) { node(id: $id) { id } }`), { id: ids.get('private film')! }, { token: other.token });
    expect(node.node).toBeNull();
  });
});
