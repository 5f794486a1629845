import { describe, expect, it } from 'vitest';
import { decideMatch } from '../src/services/metadata/matcher.js';
import { candidatesFromTmdb, movieFromTmdb, seasonFromTmdb, showFromTmdb } from '../src/services/metadata/tmdb-records.js';

const candidate = (tmdbId: string, title: string, year: number | null, originalTitle: string | null = null) => ({ tmdbId, title, year, originalTitle });

describe('decideMatch', () => {
  it('takes the one film with the same title and year, over a neighbour year', () => {
    const decision = decideMatch({ title: 'Heat', year: 1995 }, [candidate('2490', 'Heat', 1996), candidate('949', 'Heat', 1995)]);
    expect(decision).toEqual({ kind: 'match', candidate: candidate('949', 'Heat', 1995) });
  });

  it('accepts a year either side when nothing matches exactly, and compares titles without accents or case', () => {
    expect(decideMatch({ title: 'amelie', year: 2002 }, [candidate('194', 'Amélie', 2001)])).toMatchObject({ kind: 'match' });
    expect(decideMatch({ title: 'Le fabuleux destin d’Amélie Poulain', year: 2001 }, [candidate('194', 'Amélie', 2001, 'Le Fabuleux Destin d’Amélie Poulain')])).toMatchObject({ kind: 'match' });
  });

  it('never guesses: two equally good are ambiguous, a year two away or another title is no match', () => {
    expect(decideMatch({ title: 'Dune', year: 2021 }, [candidate('1', 'Dune', 2021), candidate('2', 'Dune', 2021)])).toMatchObject({ kind: 'ambiguous', candidates: [{ tmdbId: '1' }, { tmdbId: '2' }] });
    expect(decideMatch({ title: 'Dune', year: null }, [candidate('1', 'Dune', 2021), candidate('3', 'Dune', 1984)])).toMatchObject({ kind: 'ambiguous' });
    expect(decideMatch({ title: 'Dune', year: 2019 }, [candidate('1', 'Dune', 2021)])).toMatchObject({ kind: 'none', candidates: [{ tmdbId: '1' }] });
    expect(decideMatch({ title: 'Dune', year: 2021 }, [candidate('4', 'Dune: Part Two', 2021)])).toMatchObject({ kind: 'none' });
    expect(decideMatch({ title: 'Dune', year: 2021 }, [candidate('1', 'Dune', 2021), candidate('1', 'Dune', 2021)])).toMatchObject({ kind: 'match' });
  });
});

describe('TMDB records read defensively', () => {
  it('turns empty dates, null paths, a zero runtime and missing credits into nothing', () => {
    const movie = movieFromTmdb({ id: 5, title: 'Unknown', release_date: '', poster_path: null, runtime: 0, genres: null, imdb_id: '' });
    expect(movie).toMatchObject({ tmdbId: '5', releaseDate: null, year: null, posterPath: null, runtimeMinutes: null, genres: [], directors: [], cast: [], imdbId: null });
  });

  it('keeps directors from the crew and the top-billed cast in billing order, whether credits carry an id or not', () => {
    const movie = movieFromTmdb({
      id: 27205,
      title: 'Inception',
      release_date: '2010-07-15',
      runtime: 148,
      credits: {
        id: 27205,
        cast: [{ name: 'B', order: 1 }, { name: 'A', order: 0 }],
        crew: [{ name: 'Christopher Nolan', job: 'Director' }, { name: 'Hans Zimmer', job: 'Original Music Composer' }, { name: 'Christopher Nolan', job: 'Director' }],
      },
    });
    expect(movie).toMatchObject({ year: 2010, runtimeMinutes: 148, directors: ['Christopher Nolan'], cast: ['A', 'B'] });
  });

  it('reads shows, seasons and search results, skipping entries without an id or a number', () => {
    expect(showFromTmdb({ id: 1396, name: 'Breaking Bad', first_air_date: '2008-01-20', created_by: [{ name: 'Vince Gilligan' }], episode_run_time: [], external_ids: { imdb_id: 'tt0903747', tvdb_id: 81189 } })).toMatchObject({
      title: 'Breaking Bad',
      year: 2008,
      directors: ['Vince Gilligan'],
      imdbId: 'tt0903747',
      tvdbId: '81189',
      runtimeMinutes: null,
    });
    expect(seasonFromTmdb({ air_date: '', episodes: [{ episode_number: 1, name: 'Pilot', runtime: '58' }, { name: 'no number' }] }).episodes).toEqual([
      { episodeNumber: 1, tmdbId: null, title: 'Pilot', airDate: null, runtimeMinutes: 58, overview: null },
    ]);
    expect(candidatesFromTmdb([{ id: 1, title: 'X', release_date: '1999-01-01' }, { title: 'no id' }, null], 'movie')).toEqual([candidate('1', 'X', 1999, null)]);
    expect(candidatesFromTmdb(undefined, 'tv')).toEqual([]);
  });
});
