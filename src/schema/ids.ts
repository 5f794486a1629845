import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../services/errors.js';

/** uuid that no row has: keeps malformed or foreign ids from reaching the database as errors or as matches */
export const NO_MATCH = '00000000-0000-0000-0000-000000000000';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const asUuid = (id: string): string => (UUID.test(id) ? id : NO_MATCH);

/** Decodes a global ID of the expected type; anything else is simply not found, never an exception. */
export function decodeId(globalId: string, typename: string | string[], field = 'id'): string {
  const accepted = Array.isArray(typename) ? typename : [typename];
  try {
    const decoded = decodeGlobalID(globalId);
    if (accepted.includes(decoded.typename) && UUID.test(decoded.id)) return decoded.id;
  } catch {
    // fall through: a malformed id names nothing
  }
  throw new NotFoundError(`No ${accepted[0]} with this id`, [field]);
}

/** Shows are Media too: either global id names the same row. */
export const MEDIA_TYPENAMES = ['Media', 'Show'];
