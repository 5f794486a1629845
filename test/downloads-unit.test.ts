import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInternalAddress } from '../src/services/downloads/address-policy.js';
import { HostBudget } from '../src/services/downloads/host-budget.js';
import { HttpClient } from '../src/services/downloads/http-client.js';
import { checkTemplate, insideRoot, numbered, renderTemplate, sanitizeSegment } from '../src/services/downloads/paths.js';
import { fileNameFrom, parseContentRange, splitName } from '../src/services/downloads/probe.js';
import { ConnectionRamp, RAMP_START } from '../src/services/downloads/ramp.js';
import { coherent, MIN_RANGE, nextWork, split, type Range } from '../src/services/downloads/ranges.js';
import { retryAfterMs } from '../src/services/downloads/retry.js';
import { maskUrl } from '../src/services/downloads/url-mask.js';
import { AddressRefusedError, ValidationError } from '../src/services/errors.js';

// The download engine's parts on their own: no database, one small HTTP server for the redirect rule.
const MiB = 1024 * 1024;

describe('the connection ramp', () => {
  it('doubles the connections while each doubling raises the rate, up to the most allowed', () => {
    const ramp = new ConnectionRamp(16);
    expect(ramp.count).toBe(RAMP_START);
    // the first window holds the set-up: nothing is decided on it
    expect(ramp.observe(1)).toBe(4);
    // connections capped by the server: each doubling doubles the rate
    expect(ramp.observe(16e6)).toBe(8);
    expect(ramp.observe(32e6)).toBe(16);
    expect(ramp.growing).toBe(false);
    expect(ramp.observe(64e6)).toBe(16);
  });

  it('settles where a doubling did not raise the rate by much', () => {
    const ramp = new ConnectionRamp(16);
    ramp.observe(1);
    expect(ramp.observe(900e6)).toBe(8);
    expect(ramp.observe(1000e6)).toBe(8);
    expect(ramp.growing).toBe(false);
    expect(ramp.observe(5000e6)).toBe(8);
  });

  it('starts with all of them when fewer are allowed than it starts with', () => {
    const ramp = new ConnectionRamp(2);
    expect([ramp.count, ramp.growing]).toEqual([2, false]);
  });
});

describe('masked URLs', () => {
  it('hide userinfo, Xtream accounts in paths and secret parameters', () => {
    expect(maskUrl('http://user:pa55@host:8080/movie/alice/s3cret/42.mkv?token=t&x=1&password=p&api_key=k')).toBe(
      'http://***:***@host:8080/movie/***/***/42.mkv?token=***&x=1&password=***&api_key=***',
    );
    expect(maskUrl('https://host/series/bob/pw/7/1.mp4')).toBe('https://host/series/***/***/7/1.mp4');
    expect(maskUrl('http://host/get.php?username=u&password=p&type=m3u')).toBe('http://host/get.php?username=***&password=***&type=m3u');
    expect(maskUrl('not a url')).toBe('[an invalid URL]');
  });
});

describe('internal addresses', () => {
  it('are loopback, private, link-local, unique-local, CGNAT, multicast and their IPv6 wrappings', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:c0a8:0101::1', 'not-an-ip']) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['1.1.1.1', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });
});

describe('paths', () => {
  it('render templates with every part made safe, never climbing out', () => {
    expect(renderTemplate('Series/{language}/{series}/Season {season}/{title}.{ext}', { language: 'fr', series: 'AC/DC: Live?', season: 2, title: 'E01', ext: 'mkv' })).toBe(
      'Series/fr/AC_DC_ Live_/Season 2/E01.mkv',
    );
    expect(renderTemplate(null, { title: '..', ext: '' })).toBe('_');
    expect(renderTemplate(null, { title: 'CON', ext: 'txt' })).toBe('_CON.txt');
    expect(renderTemplate('{title}', { title: 'a\u0000b\u001fc. . ' })).toBe('abc');
    expect(renderTemplate('{{literal}} {title}', { title: 'x' })).toBe('{literal} x');
    const long = renderTemplate(null, { title: 'é'.repeat(300), ext: 'mkv' });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(240);
    expect(long.endsWith('.mkv')).toBe(true);
    expect(sanitizeSegment('x'.repeat(400)).length).toBe(255);
  });

  it('refuse templates that are absolute, climb, or name unknown placeholders', () => {
    for (const bad of ['/abs/{title}', '../{title}', 'a/./b', 'a/../b', 'C:/x', '{nope}', 'a{b', 'ctl\u0007']) {
      expect(() => checkTemplate(bad), bad).toThrow(ValidationError);
    }
    expect(checkTemplate('Films/')).toBe('Films/{title}.{ext}');
  });

  it('number a taken name before its extension', () => {
    expect(numbered('a/Film.mkv', 2)).toBe('a/Film (2).mkv');
    expect(numbered('Film', 3)).toBe('Film (3)');
    expect(numbered('Film.mkv', 1)).toBe('Film.mkv');
  });

  it('stay inside the root even through a symbolic link', async () => {
    const root = await mkdtemp(join(tmpdir(), 'klug-paths-'));
    try {
      await symlink(tmpdir(), join(root, 'out'));
      await expect(insideRoot(root, 'out/x.bin')).rejects.toThrow(/leaves the download directory/);
      await expect(insideRoot(root, '../x.bin')).rejects.toThrow(/leaves the download directory/);
      expect(await insideRoot(root, 'in/x.bin')).toMatch(/\/in\/x\.bin$/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('answers', () => {
  it('read Content-Range, Retry-After and Content-Disposition', () => {
    expect(parseContentRange('bytes 0-0/1234')).toEqual({ start: 0, end: 0, total: 1234 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, total: null });
    expect(parseContentRange('bytes */0')).toEqual({ start: 0, end: -1, total: 0 });
    expect(parseContentRange('garbage')).toBeNull();
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(fileNameFrom(`attachment; filename="a \\"b\\".mkv"`)).toBe('a "b".mkv');
    expect(fileNameFrom(`attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf; filename="x"`)).toBe('€ rates.pdf');
    expect(fileNameFrom('attachment; filename=../../etc/passwd')).toBe('passwd');
    expect(splitName('Film.2020.mkv')).toEqual({ title: 'Film.2020', ext: 'mkv' });
    expect(splitName('.hidden')).toEqual({ title: '.hidden', ext: '' });
  });
});

describe('ranges', () => {
  it('split a file into ranges of at least 1 MiB, then halves of the largest left for idle connections', () => {
    expect(split(100, 16)).toEqual([{ start: 0, end: 100, done: 0 }]);
    const ranges = split(64 * MiB + 7, 16);
    expect(ranges).toHaveLength(16);
    expect(coherent(ranges, 64 * MiB + 7)).toBe(true);
    expect(split(3 * MiB, 16)).toHaveLength(3);

    const busy = new Set<Range>(ranges);
    ranges[3]!.done = 1 * MiB; // 3 MiB left in range 3, 4 everywhere else
    for (const r of ranges) if (r !== ranges[3]) r.done = r.end - r.start - (r === ranges[9] ? 3 * MiB : 0);
    busy.delete(ranges[0]!);
    const stolen = nextWork(ranges, busy)!;
    expect(stolen.start).toBeGreaterThanOrEqual(ranges[3]!.start + ranges[3]!.done + MIN_RANGE);
    expect(ranges[ranges.indexOf(stolen) - 1]!.end).toBe(stolen.start);
    expect(coherent(ranges, 64 * MiB + 7)).toBe(true);
    // nothing left worth halving
    const small = split(3 * MiB, 1);
    small[0]!.done = 2 * MiB;
    expect(nextWork(small, new Set(small))).toBeNull();
  });
});

describe('the host budget', () => {
  it('serves waiters in order, never over the limit, and follows a new limit', async () => {
    const budget = new HostBudget(2);
    const a = await budget.acquire('Host');
    const b = await budget.acquire('host');
    const order: string[] = [];
    const c = budget.acquire('host').then((release) => (order.push('c'), release));
    const d = budget.acquire('host').then((release) => (order.push('d'), release));
    expect(budget.inUse('host')).toBe(2);
    a();
    a(); // twice is once
    const releaseC = await c;
    expect(budget.inUse('host')).toBe(2);
    budget.setHostLimit('host', 3);
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    expect(budget.inUse('host')).toBe(3);
    const aborted = new AbortController();
    const e = budget.acquire('host', aborted.signal);
    aborted.abort(new Error('stop'));
    await expect(e).rejects.toThrow('stop');
    for (const release of [b, releaseC, releaseD]) release();
    expect(budget.inUse('host')).toBe(0);
    expect(() => budget.setHostLimit('host', 0)).toThrow(RangeError);
  });
});

describe('the HTTP client', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
  });
  async function serve(host: string, handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    server.listen(0, host);
    await once(server, 'listening');
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  it('checks the address of every redirect hop, and follows at most 5', async () => {
    const inside = await serve('127.0.0.2', (_req, res) => res.end('secret'));
    let hops = 0;
    const outside = await serve('127.0.0.1', (req, res) => {
      if (req.url === '/inside') return res.writeHead(302, { location: `${inside}/x` }).end();
      if (req.url === '/loop') return res.writeHead(307, { location: `/loop?${++hops}` }).end();
      if (req.url?.startsWith('/loop')) return res.writeHead(307, { location: `/loop?${++hops}` }).end();
      if (req.url === '/ftp') return res.writeHead(301, { location: 'ftp://127.0.0.1/x' }).end();
      res.end('ok');
    });
    // 127.0.0.1 plays the outside world here; 127.0.0.2 the inside a redirect must not reach
    const http = new HttpClient({ refuses: (ip) => ip === '127.0.0.2', idleTimeoutMs: 5000 });
    const signal = new AbortController().signal;
    const ok = await http.get(`${outside}/plain`, {}, signal);
    expect(Buffer.concat(await ok.body.toArray()).toString()).toBe('ok');
    await expect(http.get(`${outside}/inside`, {}, signal)).rejects.toBeInstanceOf(AddressRefusedError);
    await expect(http.get(`${outside}/loop`, {}, signal)).rejects.toThrow(/More than 5 redirects/);
    expect(hops).toBe(6);
    await expect(http.get(`${outside}/ftp`, {}, signal)).rejects.toThrow(/Only http and https/);
    // a name that resolves to a refused address is refused when it is resolved
    const named = new HttpClient({ refuses: isInternalAddress, idleTimeoutMs: 5000 });
    await expect(named.get(`${outside.replace('127.0.0.1', 'localhost')}/plain`, {}, signal)).rejects.toSatisfy((e: unknown) => causes(e).some((c) => c instanceof AddressRefusedError));
    await http.close();
    await named.close();
  });
});

function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) out.push(e);
  return out;
}
