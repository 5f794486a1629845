import { getOperationAST, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../../schema/context.js';

/** A READ token may query and subscribe; any mutation in its operation is refused before anything runs. */
export function useReadOnlyTokens(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation' && args.contextValue.viewer?.scope === 'READ') {
        setResultAndStopExecution({
          errors: [
            new GraphQLError('This token may only read; use a WRITE token or a session', {
              extensions: { code: 'FORBIDDEN' },
            }),
          ],
        });
      }
    },
  };
}
