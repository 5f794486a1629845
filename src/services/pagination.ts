import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ValidationError } from './errors.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export type SortValue = string | number | Date | null;

/** One ordering of a list: its name (part of every cursor), the sort key, and how to read and write it. */
export interface Ordering<Row> {
  name: string;
  field: string;
  direction: 'asc' | 'desc';
  kind: 'date' | 'string' | 'number';
  nullable: boolean;
  valueOf(row: Row): SortValue;
}

export interface Page<Row> {
  rows: Row[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

interface DecodedCursor {
  value: SortValue;
  id: string;
}

/**
 * Keyset pagination on (sort key, id): pages stay stable while rows are added, and a page deep in the list
 * costs what the first does. Cursors are signed, so a tampered one is refused instead of misread.
 */
export class Paginator {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'klug', 'cursor-signing', 32));
  }

  async page<Row extends { id: string }>(
    args: PageArgs,
    ordering: Ordering<Row>,
    fetch: (where: Record<string, unknown>, orderBy: Record<string, unknown>[], take: number) => Promise<Row[]>,
  ): Promise<Page<Row>> {
    const { size, backwards, cursor } = this.read(args, ordering);
    const direction = backwards ? flip(ordering.direction) : ordering.direction;
    const orderBy = [
      { [ordering.field]: ordering.nullable ? { sort: direction, nulls: backwards ? 'first' : 'last' } : direction },
      { id: direction },
    ];
    const where = cursor ? keysetWhere(ordering, direction, cursor, backwards) : {};
    const fetched = await fetch(where, orderBy, size + 1);
    const more = fetched.length > size;
    const rows = more ? fetched.slice(0, size) : fetched;
    if (backwards) rows.reverse();
    return {
      rows,
      cursors: rows.map((row) => this.encode(ordering, row)),
      hasNextPage: backwards ? Boolean(args.before) : more,
      hasPreviousPage: backwards ? more : Boolean(args.after),
    };
  }

  encode<Row extends { id: string }>(ordering: Ordering<Row>, row: Row): string {
    const value = ordering.valueOf(row);
    return this.seal([ordering.name, value instanceof Date ? value.toISOString() : value, row.id]);
  }

  /** Signs any JSON values as an opaque cursor (lists paged in SQL use it for their own keys). */
  seal(values: unknown[]): string {
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The values a cursor sealed, or a ValidationError on `field` when it was tampered with or is not one. */
  open(cursor: string, field: string): unknown[] {
    const invalid = () => new ValidationError('The cursor is invalid or belongs to another ordering', [field]);
    const [payload, signature] = cursor.split('.');
    if (!payload || !signature) throw invalid();
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    const values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(values)) throw invalid();
    return values;
  }

  private read<Row>(args: PageArgs, ordering: Ordering<Row>) {
    if (args.first != null && args.last != null) {
      throw new ValidationError('Pass either `first` or `last`, not both', ['first']);
    }
    for (const field of ['first', 'last'] as const) {
      const value = args[field];
      if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
        throw new ValidationError(`\`${field}\` must be between 0 and ${MAX_PAGE_SIZE}`, [field]);
      }
    }
    const backwards = args.last != null || (args.before != null && args.first == null);
    const size = (backwards ? args.last : args.first) ?? DEFAULT_PAGE_SIZE;
    const raw = backwards ? args.before : args.after;
    return { size, backwards, cursor: raw ? this.decode(raw, ordering, backwards ? 'before' : 'after') : null };
  }

  private decode<Row>(cursor: string, ordering: Ordering<Row>, field: string): DecodedCursor {
    const [name, value, id] = this.open(cursor, field) as [string, SortValue, string];
    if (name !== ordering.name) throw new ValidationError('The cursor is invalid or belongs to another ordering', [field]);
    return { value: ordering.kind === 'date' && value !== null ? new Date(value as string) : value, id };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }
}

/**
 * A caller's selection (GraphQL asks only for some columns) widened by what a cursor is made of: the sort key
 * and the id. An `include` (or no selection) reads whole rows, which hold both already.
 */
export function withSortKey<Q extends { select?: object | null }>(query: Q, ordering: Ordering<never>): Q {
  return query.select ? { ...query, select: { ...query.select, [ordering.field]: true, id: true } } : query;
}

const flip = (direction: 'asc' | 'desc') => (direction === 'asc' ? 'desc' : 'asc');

/**
 * Rows strictly beyond the cursor in the fetch direction. Nulls sort last going forwards (first going back),
 * so they form one block after (before) every value.
 */
function keysetWhere<Row>(ordering: Ordering<Row>, direction: 'asc' | 'desc', cursor: DecodedCursor, backwards: boolean) {
  const { field, nullable } = ordering;
  const beyond = direction === 'asc' ? 'gt' : 'lt';
  const idBeyond = { id: { [beyond]: cursor.id } };
  if (cursor.value === null) {
    return backwards ? { OR: [{ [field]: { not: null } }, { [field]: null, ...idBeyond }] } : { [field]: null, ...idBeyond };
  }
  const valueBeyond = [{ [field]: { [beyond]: cursor.value } }, { [field]: cursor.value, ...idBeyond }];
  // the inclusive bound lets the index start at the cursor instead of filtering from the top
  if (!nullable) return { [field]: { [`${beyond}e`]: cursor.value }, OR: valueBeyond };
  return backwards ? { OR: valueBeyond } : { OR: [...valueBeyond, { [field]: null }] };
}
