import { AsyncLocalStorage } from 'node:async_hooks';

/** Carries the request id through every await of a request, so each log line names its request. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();
