import { BREAK, GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const LIST_TOO_LONG = 'LIST_TOO_LONG';

// answered like a validation error: 200 for application/json clients, 400 for application/graphql-response+json
const tooLong = (where: string, length: number, max: number) =>
  new GraphQLError(`${where} holds a list of ${length} items; at most ${max} are accepted.`, {
    extensions: { code: LIST_TOO_LONG, limit: max, http: { status: 400, spec: true } },
  });

/** Lists written into the document (arguments, nested lists, defaults); stops at the first that is too long. */
const inlineListRule =
  (max: number): ValidationRule =>
  (context) => ({
    ListValue(node) {
      if (node.values.length <= max) return undefined;
      context.reportError(tooLong('An inline value', node.values.length, max));
      return BREAK;
    },
  });

const isPlain = (value: object) => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * The length of the first list longer than `max` in a variable's raw JSON, before graphql-js coerces it
 * (coercing 600,000 items blocks the event loop for seconds). Checks each list's length before looking inside,
 * walks without recursion, and skips anything that is not plain JSON (uploads).
 */
function firstLongList(value: unknown, max: number): number | null {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item === null || typeof item !== 'object') continue;
    if (Array.isArray(item)) {
      if (item.length > max) return item.length;
      for (const child of item) if (child !== null && typeof child === 'object') pending.push(child);
    } else if (isPlain(item)) {
      for (const child of Object.values(item)) if (child !== null && typeof child === 'object') pending.push(child);
    }
  }
  return null;
}

function variablesError(variables: unknown, max: number): GraphQLError | null {
  if (variables === null || typeof variables !== 'object') return null;
  for (const [name, value] of Object.entries(variables)) {
    const length = firstLongList(value, max);
    if (length !== null) return tooLong(`Variable "$${name}"`, length, max);
  }
  return null;
}

/** Caps every input list at `max` items, inline or in variables, on HTTP and WebSocket alike. */
export function useListLengthLimit(max: number): Plugin {
  return {
    onValidate: ({ addValidationRule }) => addValidationRule(inlineListRule(max)),
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = variablesError(args.variableValues, max);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = variablesError(args.variableValues, max);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
