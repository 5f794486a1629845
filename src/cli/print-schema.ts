import { writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../server/schema.js';

/** `npm run schema:print` writes schema.graphql; `-- --check` fails when the committed file differs. */
const printed = `${printSchema(lexicographicSortSchema(schema))}\n`;
const file = new URL('../../schema.graphql', import.meta.url);
if (process.argv.includes('--check')) {
  const { readFileSync } = await import('node:fs');
  const committed = readFileSync(file, 'utf8');
  if (committed !== printed) {
    console.error('schema.graphql differs from the code: run `npm run schema:print` and commit it');
    process.exit(1);
  }
  console.log('schema.graphql matches the code');
} else {
  writeFileSync(file, printed);
  console.log('wrote schema.graphql');
}
