import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunChange } from '../src/services/events.js';
import { startTestServer, type TestServer } from './support/server.js';

// Raw graphql-transport-ws clients, so a test can stop reading its socket (a slow consumer) or drop it mid-subscribe.

const PROGRESS = `subscription ($id: ID!) { importProgress(batchId: $id) { status processedRows errorMessage } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** Resolves once `test` holds, checking after each turn of the event loop (no clock involved). */
async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((resolve) => setImmediate(resolve));
}

interface Message {
  id?: string;
  type: string;
  payload?: { data?: { importProgress?: { status: string; processedRows: number; errorMessage: string | null } }; errors?: unknown };
}

/** An acknowledged graphql-ws connection and the messages it has read so far. */
async function connect(token: string) {
  const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: Message[] = [];
  let arrived: (() => void) | null = null;
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message);
    arrived?.();
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  /** resolves with the first message (from `from` on) that `test` accepts */
  const next = async (test: (m: Message) => boolean, from = 0): Promise<Message> => {
    for (;;) {
      const found = messages.slice(from).find(test);
      if (found) return found;
      await new Promise<void>((resolve) => (arrived = resolve));
    }
  };
  await next((m) => m.type === 'connection_ack');
  return { socket, messages, next };
}

/** A person with an import batch of their own to follow (a row only: the changes are published by the test). */
async function personWithBatch() {
  const person = await server.newPerson();
  const user = await server.app.db.prisma.user.findUniqueOrThrow({ where: { email: person.email } });
  const batch = await server.app.db.prisma.importBatch.create({
    data: { userId: user.id, source: 'KLUG_CSV', mode: 'APPEND', status: 'PROCESSING', totalRows: 1_000_000 },
  });
  return { token: person.token, email: person.email, password: person.password, batch, globalId: Buffer.from(`ImportBatch:${batch.id}`).toString('base64') };
}

const change = (batch: { id: string; userId: string }, view: Record<string, unknown>): RunChange => ({
  run: { id: `run-of-${batch.id}`, kind: 'import', status: String(view.status), userId: batch.userId, progress: {} },
  view: { ...batch, ...view },
});

describe('run subscriptions under load', () => {
  it('keeps a slow consumer to the newest progress and one frame in flight, and still delivers the final state', async () => {
    const { token, batch, globalId } = await personWithBatch();
    const { streams } = server.app.events;
    const client = await connect(token);
    client.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PROGRESS, variables: { id: globalId } } }));
    const first = await client.next((m) => m.type === 'next');
    expect(first.payload?.data?.importProgress?.status).toBe('PROCESSING');

    // stop reading: the kernel's buffers fill, then the server's writes wait
    (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(64 * 1024); // 400 of these are 26 MB: far more than loopback's socket buffers hold
    const received = streams.received;
    const superseded = streams.superseded;
    const PUBLISHED = 400;
    for (let i = 1; i <= PUBLISHED; i++) {
      server.app.events.pubsub.publish('run:changed', batch.id, change(batch, { status: 'PROCESSING', processedRows: i, errorMessage: big }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => streams.received - received === PUBLISHED);

    // what waits on the server: the newest progress only, and at most one frame in ws's buffer
    expect(streams.queued).toBeLessThanOrEqual(1);
    expect(streams.superseded - superseded).toBeGreaterThan(PUBLISHED / 2);
    expect(server.app.websocketStats().bufferedBytes).toBeLessThan(2 * big.length);

    // a state change is never dropped, and reaches the consumer once it reads again
    server.app.events.pubsub.publish('run:changed', batch.id, change(batch, { status: 'COMPLETED', processedRows: PUBLISHED, errorMessage: null }));
    (client.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const done = await client.next((m) => m.type === 'complete');
    const updates = client.messages.filter((m) => m.type === 'next').map((m) => m.payload!.data!.importProgress!);
    expect(updates.at(-1)).toEqual({ status: 'COMPLETED', processedRows: PUBLISHED, errorMessage: null });
    expect(updates.length).toBeLessThan(PUBLISHED / 2);
    // progress arrives in order, never older after newer
    const rows = updates.map((u) => u.processedRows);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(done.id).toBe('1');
    client.socket.close();
    await until(() => server.app.websocketStats().clients === 0);
  });

  it('leaves no subscription behind when clients disconnect while subscribing', async () => {
    const { token, globalId } = await personWithBatch();
    const { streams } = server.app.events;
    const shared = () => server.app.websocketStats().subscriptions;
    const attached = shared().opened;
    const active = streams.active;
    const CLIENTS = 20;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(token)));
    for (const client of clients) {
      client.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PROGRESS, variables: { id: globalId } } }));
      client.socket.terminate(); // gone while the server authenticates and subscribes
    }
    // every operation is subscribed (graphql-ws subscribes after the socket is gone), then is ended
    await until(() => server.app.websocketStats().clients === 0 && shared().opened - attached === CLIENTS);
    await new Promise((resolve) => setImmediate(resolve));
    await until(() => streams.active === active);
    expect(streams.queued).toBe(0);
    expect(shared()).toMatchObject({ sources: 0, subscribers: 0 });

    // and ones that subscribed fully, then left, end theirs too
    const settled = await Promise.all(Array.from({ length: CLIENTS }, () => connect(token)));
    for (const client of settled) {
      client.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PROGRESS, variables: { id: globalId } } }));
    }
    await Promise.all(settled.map((client) => client.next((m) => m.type === 'next')));
    // the same person, token, operation and batch: one change stream and one execution for the twenty
    expect(streams.active).toBe(active + 1);
    expect(shared()).toMatchObject({ sources: 1, subscribers: CLIENTS });
    for (const client of settled) client.socket.terminate();
    await until(() => server.app.websocketStats().clients === 0);
    await until(() => streams.active === active);
    expect(shared()).toMatchObject({ sources: 0, subscribers: 0 });
  });
});

describe('shared subscriptions', () => {
  const subscribe = (client: Awaited<ReturnType<typeof connect>>, id: string, globalId: string) =>
    client.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: PROGRESS, variables: { id: globalId } } }));
  const progressOf = (m: Message) => m.payload?.data?.importProgress?.processedRows;

  it('gives a subscriber that joins a running one the newest state first, then what both get', async () => {
    const { token, batch, globalId } = await personWithBatch();
    const { streams } = server.app.events;
    const active = streams.active;
    const first = await connect(token);
    subscribe(first, '1', globalId);
    await first.next((m) => m.type === 'next');
    server.app.events.pubsub.publish('run:changed', batch.id, change(batch, { status: 'PROCESSING', processedRows: 5, errorMessage: null }));
    await first.next((m) => m.type === 'next' && progressOf(m) === 5);

    const second = await connect(token);
    subscribe(second, '7', globalId);
    const joined = await second.next((m) => m.type === 'next');
    expect(joined).toMatchObject({ id: '7', payload: { data: { importProgress: { status: 'PROCESSING', processedRows: 5 } } } });
    expect(streams.active).toBe(active + 1);

    server.app.events.pubsub.publish('run:changed', batch.id, change(batch, { status: 'COMPLETED', processedRows: 9, errorMessage: null }));
    for (const [client, id] of [[first, '1'], [second, '7']] as const) {
      await client.next((m) => m.type === 'complete');
      const updates = client.messages.filter((m) => m.type === 'next');
      expect(updates.every((m) => m.id === id)).toBe(true);
      expect(updates.at(-1)!.payload!.data!.importProgress).toEqual({ status: 'COMPLETED', processedRows: 9, errorMessage: null });
      client.socket.close();
    }
    await until(() => streams.active === active && server.app.websocketStats().subscriptions.sources === 0);
  });

  it('never shares between viewers: another session runs its own, and another person is refused by their own rights', async () => {
    const { token, email, password, batch, globalId } = await personWithBatch();
    const { streams } = server.app.events;
    const active = streams.active;
    const first = await connect(token);
    subscribe(first, '1', globalId);
    await first.next((m) => m.type === 'next');

    // the same person through another session: its own source, not the first one's
    const secondSession = await server.app.services.accounts.logIn({ email, password }, { address: '127.0.0.1' });
    const other = await connect(secondSession.token);
    subscribe(other, '1', globalId);
    await other.next((m) => m.type === 'next');
    expect(streams.active).toBe(active + 2);
    expect(server.app.websocketStats().subscriptions.sources).toBe(2);

    // someone else asking the very same operation is checked as themselves: not found, nothing shared
    const stranger = await server.newPerson();
    const intruder = await connect(stranger.token);
    subscribe(intruder, '1', globalId);
    const refused = await intruder.next((m) => m.type === 'error' || m.type === 'next');
    expect(refused.payload?.data?.importProgress ?? null).toBeNull();
    expect(JSON.stringify(refused.payload)).toMatch(/NOT_FOUND/);

    server.app.events.pubsub.publish('run:changed', batch.id, change(batch, { status: 'PROCESSING', processedRows: 3, errorMessage: null }));
    await first.next((m) => m.type === 'next' && progressOf(m) === 3);
    await other.next((m) => m.type === 'next' && progressOf(m) === 3);
    expect(intruder.messages.some((m) => progressOf(m) !== undefined)).toBe(false);
    for (const client of [first, other, intruder]) client.socket.close();
    await until(() => streams.active === active && server.app.websocketStats().subscriptions.sources === 0);
  });

  it('shares only fields of one object\'s states: event streams and every-download feeds run on their own', async () => {
    const { token, batch } = await personWithBatch();
    const { streams } = server.app.events;
    const active = streams.active;
    const shared = () => server.app.websocketStats().subscriptions;
    const opened = shared().opened;
    const clients = await Promise.all([connect(token), connect(token)]);
    for (const client of clients) {
      client.socket.send(JSON.stringify({ id: 'a', type: 'subscribe', payload: { query: 'subscription { accountEvents { kind } }' } }));
      client.socket.send(JSON.stringify({ id: 'd', type: 'subscribe', payload: { query: 'subscription { downloadProgress { status } }' } }));
    }
    // each every-download feed reads a change stream of its own
    await until(() => streams.active === active + 2);
    // and both follow the account's events: announced until each has one
    const event = { kind: 'LOGGED_IN' as const, at: new Date(), subjectId: 'a-session' };
    await until(() => {
      server.app.events.pubsub.publish('account:event', batch.userId, event);
      return clients.every((client) => client.messages.some((m) => m.type === 'next' && m.id === 'a'));
    });
    expect(shared().opened).toBe(opened);
    expect(shared().sources).toBe(0);
    for (const client of clients) client.socket.close();
    await until(() => server.app.websocketStats().clients === 0);
  });
});
