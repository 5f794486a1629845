import { GraphQLError, type ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

// graphql-js ends its messages with ` Did you mean "a", "b", or "c"?`, ` Did you mean the enum value "A"?` or
// ` Did you mean to use an inline fragment on "T"?`; names cannot hold a `?`
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !error.message.includes('Did you mean')) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    // a coercion error keeps the inner error, suggestion included, as its original
    originalError: error.originalError instanceof GraphQLError ? undefined : error.originalError,
    extensions: error.extensions,
  });
}

const stripResult = ({ result, setResult }: { result: ExecutionResult; setResult: (r: ExecutionResult) => void }) => {
  if (result.errors?.some((error) => error.message.includes('Did you mean'))) {
    setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
  }
};

/**
 * Hides every "Did you mean …" that would name parts of the schema: field, argument, type, enum value and
 * input field suggestions, from validation and from the coercion of variables alike.
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onValidate: () => ({ valid, result, setResult }) => {
      if (!valid) setResult(result.map(withoutSuggestion));
    },
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) }),
    onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) }),
  };
}
