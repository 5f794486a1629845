import { createRequire } from 'node:module';

export const KLUG_VERSION: string = createRequire(import.meta.url)('../package.json').version;
