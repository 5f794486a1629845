import { GraphQLError } from 'graphql';
import { DomainError } from '../services/errors.js';

/**
 * Fields without a result union (queries, connections) still report expected failures, such as a bad cursor
 * or page size, as coded errors instead of masking them as unexpected.
 */
export function domainErrorOf(error: unknown): GraphQLError | null {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (!(original instanceof DomainError)) return null;
  return new GraphQLError(original.message, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: original.code, field: original.path },
  });
}
