import { GraphQLError } from 'graphql';
import { maskError, type YogaLogger } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { DomainError } from '../services/errors.js';

const domainOf = (error: unknown): DomainError | null => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof DomainError ? original : null;
};

/**
 * Fields without a result union (queries, connections) still report expected failures, such as a bad
 * cursor or page size, as coded errors rather than masking them as unexpected.
 */
export function domainErrorOf(error: unknown): GraphQLError | null {
  const domain = domainOf(error);
  if (!domain) return null;
  return new GraphQLError(domain.message, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: domain.code, field: domain.path },
  });
}

/** Domain errors keep their code, GraphQL errors pass, anything else becomes a bare INTERNAL_SERVER_ERROR. */
export function maskUnexpected(error: unknown, message = 'Unexpected error.'): GraphQLError {
  return domainErrorOf(error) ?? (maskError(error, message, false) as GraphQLError);
}

/** Yoga's log, minus the expected failures it would otherwise report as errors. */
export function yogaLogger(log: Logger): YogaLogger {
  return {
    debug: (...args) => log.debug(args.length === 1 ? args[0] : args),
    info: (...args) => log.info(args.length === 1 ? args[0] : args),
    warn: (...args) => log.warn(args.length === 1 ? args[0] : args),
    error: (...args) => {
      if (args.length === 1 && domainOf(args[0])) return;
      const [first] = args;
      if (first instanceof Error) log.error({ err: first }, 'unexpected error');
      else log.error(args.length === 1 ? first : args);
    },
  };
}
