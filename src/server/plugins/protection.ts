import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import { useHiddenSuggestions } from './hide-suggestions.js';
import { useListLengthLimit } from './list-length.js';

/** Depth, alias, token, cost and list limits for every operation; introspection and suggestions as configured. */
export function protectionPlugins(config: Config): Plugin[] {
  const { maxDepth, maxAliases, maxTokens, maxCost } = config.limits;
  const armor = new EnvelopArmor({
    maxDepth: { n: maxDepth, ignoreIntrospection: true },
    maxAliases: { n: maxAliases },
    maxTokens: { n: maxTokens },
    maxDirectives: { n: 20 },
    costLimit: { maxCost, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: false }, // armor's misses enum values and variables: useHiddenSuggestions
  });
  const plugins = [...(armor.protect().plugins as Plugin[]), useListLengthLimit(config.limits.maxListLength)];
  if (!config.introspection) plugins.push(useDisableIntrospection(), useHiddenSuggestions());
  return plugins;
}
