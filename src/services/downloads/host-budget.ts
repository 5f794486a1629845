/** A slot of a host's budget; give it back once the connection's work is over. */
export type Release = () => void;

interface HostState {
  limit: number | null;
  inUse: number;
  waiting: { resolve: (release: Release) => void; reject: (reason: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[];
}

/**
 * Connections per host, shared by every download of the process: a provider that allows two
 * connections never sees a third, however many downloads are going. Waiters are served in order.
 */
export class HostBudget {
  private readonly hosts = new Map<string, HostState>();

  constructor(private readonly defaultLimit: number) {}

  /** Sets a host's budget (an IPTV provider's max_connections); null goes back to the default. */
  setHostLimit(host: string, limit: number | null): void {
    if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new RangeError('a host limit is a whole number of at least 1');
    const state = this.state(host);
    state.limit = limit;
    this.drain(host, state);
  }

  limitOf(host: string): number {
    return this.hosts.get(key(host))?.limit ?? this.defaultLimit;
  }

  /** Connections to the host in use now. */
  inUse(host: string): number {
    return this.hosts.get(key(host))?.inUse ?? 0;
  }

  /** Waits for a slot; rejects with the signal's reason when it is aborted first. */
  acquire(host: string, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const state = this.state(host);
    if (state.waiting.length === 0 && state.inUse < (state.limit ?? this.defaultLimit)) return Promise.resolve(this.take(host, state));
    return new Promise<Release>((resolve, reject) => {
      const waiter: HostState['waiting'][number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          state.waiting.splice(state.waiting.indexOf(waiter), 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      state.waiting.push(waiter);
    });
  }

  private take(host: string, state: HostState): Release {
    state.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inUse--;
      this.drain(host, state);
    };
  }

  private drain(host: string, state: HostState): void {
    while (state.waiting.length > 0 && state.inUse < (state.limit ?? this.defaultLimit)) {
      const waiter = state.waiting.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.take(host, state));
    }
    if (state.inUse === 0 && state.waiting.length === 0 && state.limit === null) this.hosts.delete(key(host));
  }

  private state(host: string): HostState {
    let state = this.hosts.get(key(host));
    if (!state) this.hosts.set(key(host), (state = { limit: null, inUse: 0, waiting: [] }));
    return state;
  }
}

const key = (host: string) => host.toLowerCase();
