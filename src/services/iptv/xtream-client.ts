import JSONParser from '@streamparser/json/jsonparser.js';
import {
  IptvAccountExpiredError,
  IptvAccountInactiveError,
  IptvCredentialsRefusedError,
  UpstreamError,
  UpstreamUnreachableError,
} from '../errors.js';
import { epoch, flag, integer, object, text } from './wire.js';
import { drop, NoAnswer, SERVICE, type Opened, type XtreamHttp } from './xtream-http.js';

export interface Account {
  status: string;
  expiresAt: Date | null;
  maxConnections: number | null;
  isTrial: boolean;
}

export type ListAction = 'get_live_categories' | 'get_vod_categories' | 'get_series_categories' | 'get_live_streams' | 'get_vod_streams' | 'get_series';

/** The largest JSON document read whole (get_series_info, the account); lists are streamed instead. */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const INPUT = ['input'];
/** addPlaylist answers within two timeouts: a second try for a 429, a 5xx or a dropped connection */
const ACCOUNT_TRIES = 2;

/**
 * One Xtream Codes account: the player API's account check, its lists streamed entry by entry (a 100,000-entry
 * VOD list never sits whole in memory), and get_series_info. Bad credentials come as `{"user_info":{"auth":0}}`
 * with HTTP 200 on classic panels and as a 404 page on newer ones: both are IptvCredentialsRefusedError.
 */
export class XtreamClient {
  constructor(
    private readonly http: XtreamHttp,
    readonly baseUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** player_api.php with the account, and an action when given. The URL holds the password: never log it. */
  private url(params: Record<string, string> = {}): URL {
    const url = new URL(`${this.baseUrl}/player_api.php`);
    url.searchParams.set('username', this.username);
    url.searchParams.set('password', this.password);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url;
  }

  private get where(): string {
    return `${SERVICE} at ${new URL(this.baseUrl).origin}`;
  }

  /**
   * Checks the account as addPlaylist does: reachable (a connection failure is UpstreamUnreachableError), the
   * credentials accepted, the account Active and not past its date.
   */
  async account(signal?: AbortSignal): Promise<Account> {
    let opened: Opened;
    try {
      opened = await this.http.open(this.url(), 'the account check', signal, ACCOUNT_TRIES);
    } catch (error) {
      if (error instanceof UpstreamUnreachableError) throw new UpstreamUnreachableError(SERVICE, error.message, [...INPUT, 'serverUrl']);
      throw error;
    }
    const body = await this.document(opened, 'the account check');
    const user = object(object(body)?.user_info);
    if (!user) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', SERVICE, `${this.where} answered without user_info: is this an Xtream Codes panel?`, 'serverUrl');
    if (flag(user.auth) !== true) throw this.refused();
    const status = text(user.status, 40) ?? 'Active';
    const expiresAt = epoch(user.exp_date);
    if (/^expired$/i.test(status) || (expiresAt && expiresAt.getTime() < Date.now())) throw new IptvAccountExpiredError(expiresAt ?? new Date(), INPUT);
    if (!/^active$/i.test(status)) throw new IptvAccountInactiveError(status, INPUT);
    const max = integer(user.max_connections);
    return { status, expiresAt, maxConnections: max !== null && max > 0 ? max : null, isTrial: flag(user.is_trial) ?? false };
  }

  /**
   * A list action's entries, in batches as they arrive. A top-level object is read as PHP's keyed array (its
   * values are the entries), except `{"user_info": …}`: the account was refused meanwhile.
   */
  async *list(action: ListAction, signal?: AbortSignal): AsyncGenerator<unknown[]> {
    const opened = await this.http.open(this.url({ action }), action, signal);
    this.check(opened, action);
    const parser = new JSONParser({ paths: ['$.*'], keepStack: false, stringBufferSize: 64 * 1024 });
    let batch: unknown[] = [];
    let refused = false;
    parser.onValue = ({ value, key }) => {
      if (key === 'user_info') refused = true;
      else batch.push(value);
    };
    try {
      for await (const chunk of opened.body as AsyncIterable<Buffer>) {
        if (parser.isEnded) break;
        parser.write(chunk);
        if (refused) throw this.refused();
        if (batch.length > 0) {
          yield batch;
          batch = [];
        }
      }
      if (!parser.isEnded) parser.end();
    } catch (error) {
      if (error instanceof IptvCredentialsRefusedError || signal?.aborted) throw error;
      if (error instanceof Error && error.name !== 'TokenizerError' && error.name !== 'TokenParserError' && !/JSON|token/i.test(error.message)) {
        throw new UpstreamError('UPSTREAM_UNAVAILABLE', SERVICE, `${this.where} stopped sending ${action} (${error instanceof NoAnswer ? error.reason : (error as { code?: string }).code ?? error.name})`);
      }
      throw new UpstreamError('UPSTREAM_BAD_RESPONSE', SERVICE, `${this.where} answered ${action} with something that is not JSON`);
    } finally {
      drop(opened.body);
    }
  }

  /** get_series_info for one series, read whole (it is small). */
  async seriesInfo(seriesId: number, signal?: AbortSignal): Promise<unknown> {
    const action = 'get_series_info';
    const opened = await this.http.open(this.url({ action, series_id: String(seriesId) }), action, signal);
    this.check(opened, action);
    return this.document(opened, action);
  }

  /** Refuses a 404 page or a 401/403 as refused credentials, any other non-2xx as a bad answer. */
  private check(opened: Opened, what: string): void {
    if (opened.status >= 200 && opened.status < 300) return;
    drop(opened.body);
    if (opened.status === 404 || opened.status === 401 || opened.status === 403) throw this.refused();
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', SERVICE, `${this.where} answered HTTP ${opened.status} to ${what}`);
  }

  private async document(opened: Opened, what: string): Promise<unknown> {
    this.check(opened, what);
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DOCUMENT_BYTES) {
        drop(opened.body);
        throw new UpstreamError('UPSTREAM_BAD_RESPONSE', SERVICE, `${this.where} answered ${what} with more than ${MAX_DOCUMENT_BYTES >> 20} MB`);
      }
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new UpstreamError('UPSTREAM_BAD_RESPONSE', SERVICE, `${this.where} answered ${what} with something that is not JSON`, 'serverUrl');
    }
  }

  private refused(): IptvCredentialsRefusedError {
    return new IptvCredentialsRefusedError(`${this.where} refused the username and password`, INPUT);
  }
}
