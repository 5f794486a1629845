import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** A GraphQL multipart request (the upload spec) with one file bound to `variables.file`, beside any other variables. */
export function uploadForm<T, V>(
  document: TypedDocumentNode<T, V>,
  file: { name: string; content: Buffer | string },
  variables: Partial<V> = {},
): FormData {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(document), variables: { ...variables, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  const bytes = typeof file.content === 'string' ? file.content : new Uint8Array(file.content);
  form.append('0', new Blob([bytes]), file.name);
  return form;
}
