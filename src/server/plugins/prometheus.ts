import { createCounter, createHistogram, usePrometheus, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Counter } from 'prom-client';
import type { Metrics } from '../../metrics.js';

/** `rejected`: refused before it ran (syntax, validation, limits); `error`: ran, and its result carries errors */
type Outcome = 'success' | 'error' | 'rejected';
type Phase = 'execute' | 'subscribe';
type Label = 'operationName' | 'operationType' | 'outcome';
const LABELS: Label[] = ['operationName', 'operationType', 'outcome'];

/**
 * GraphQL operations by name, type and outcome, with durations, through Yoga's Prometheus plugin on the app's
 * registry. It hooks into envelop, so operations over WebSocket count too. `/metrics` itself is served by the
 * HTTP router (with its token check), not by the plugin.
 */
export function metricsPlugins(metrics: Metrics): Plugin[] {
  const { registry } = metrics;
  if (!registry) return [];
  const outcomes = new WeakMap<object, Outcome>();
  const fillLabelsFn = (params: FillLabelsFnParams, context: object): Record<Label, string> => ({
    operationName: params.operationName ?? 'Anonymous',
    operationType: params.operationType ?? 'unknown',
    outcome: outcomes.get(context) ?? 'success',
  });
  const requests = createCounter<Phase, Label>({
    registry,
    counter: { name: 'graphql_envelop_request', help: 'GraphQL operations, by name, type and outcome', labelNames: LABELS },
    fillLabelsFn,
    phases: ['execute', 'subscribe'],
  });
  const durations = createHistogram<Phase, Label>({
    registry,
    histogram: { name: 'graphql_envelop_request_duration', help: 'Time GraphQL operations took to execute, by name, type and outcome', labelNames: LABELS },
    fillLabelsFn,
    phases: ['execute', 'subscribe'],
  });
  return [
    // before usePrometheus: envelop runs the done-hooks in plugin order, so the outcome is known when it counts
    useOperationOutcome(outcomes, requests.counter),
    usePrometheus({
      registry,
      endpoint: false,
      labels: { path: false }, // error paths carry list indexes: unbounded
      metrics: {
        graphql_envelop_request: requests,
        graphql_envelop_request_duration: durations,
        graphql_envelop_error_result: true,
        graphql_envelop_deprecated_field: true,
        graphql_envelop_request_time_summary: false,
        graphql_envelop_phase_parse: false,
        graphql_envelop_phase_validate: false,
        graphql_envelop_phase_context: false,
        graphql_envelop_phase_execute: false,
        graphql_envelop_phase_subscribe: false,
        graphql_envelop_schema_change: false,
        // labelled with the raw URL; the router counts HTTP requests by route pattern instead
        graphql_yoga_http_duration: false,
      },
    }),
  ];
}

/**
 * Remembers per operation whether a result it produced carried errors, and counts the operations refused
 * before they run, which the Prometheus plugin only counts in `graphql_envelop_error_result`.
 */
function useOperationOutcome(outcomes: WeakMap<object, Outcome>, requests: Counter<Label>): Plugin {
  const see = (context: object, result: ExecutionResult) => {
    if (result.errors?.length) outcomes.set(context, 'error');
  };
  const done = (context: object) => ({ result }: { result: ExecutionResult | AsyncIterable<ExecutionResult> }) => {
    if (!isAsyncIterable(result)) return see(context, result);
    return { onNext: ({ result: next }: { result: ExecutionResult }) => see(context, next) };
  };
  const rejected = (document: DocumentNode | null, operationName: string | undefined) => {
    const operation = document ? getOperationAST(document, operationName) : null;
    requests.inc({ operationName: operation?.name?.value ?? 'Anonymous', operationType: operation?.operation ?? 'unknown', outcome: 'rejected' });
  };
  return {
    onParse: () => ({ result }) => {
      if (result instanceof Error) rejected(null, undefined);
    },
    onValidate: ({ params, context }) => ({ valid }) => {
      if (!valid) rejected(params.documentAST, (context as { params?: { operationName?: string } }).params?.operationName);
    },
    onExecute: ({ args }) => ({ onExecuteDone: done(args.contextValue as object) }),
    onSubscribe: ({ args }) => ({ onSubscribeResult: done(args.contextValue as object) }),
  };
}
