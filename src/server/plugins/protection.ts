import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import { useHiddenSuggestions } from './hide-suggestions.js';
import { useListLengthLimit } from './list-length.js';

/**
 * Armor throws from its validation rules by default; a throw there is no answer over graphql-ws (it closes the
 * socket with every subscription on it). Reported instead, a limit is a validation error of its operation alone.
 */
const reported = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** Depth, alias, token, cost and list limits for every operation; introspection and suggestions as configured. */
export function protectionPlugins(config: Config): Plugin[] {
  const { maxDepth, maxAliases, maxTokens, maxCost } = config.limits;
  const armor = new EnvelopArmor({
    maxDepth: { n: maxDepth, ignoreIntrospection: true, ...reported },
    maxAliases: { n: maxAliases, ...reported },
    maxTokens: { n: maxTokens }, // thrown by the parser, which both doors answer as a syntax error
    maxDirectives: { n: 20, ...reported },
    costLimit: { maxCost, ignoreIntrospection: true, ...reported },
    blockFieldSuggestion: { enabled: false }, // armor's misses enum values and variables: useHiddenSuggestions
  });
  const plugins = [...(armor.protect().plugins as Plugin[]), useListLengthLimit(config.limits.maxListLength)];
  if (!config.introspection) plugins.push(useDisableIntrospection(), useHiddenSuggestions());
  return plugins;
}
