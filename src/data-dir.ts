import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Everything Klug keeps on disk, in one place under KLUG_DATA_DIR. */
export function dataLayout(root: string) {
  return {
    root,
    /** the embedded database, when DATABASE_URL is unset */
    pglite: join(root, 'pglite'),
    /** uploads waiting for their import to run, one folder per batch */
    imports: join(root, 'imports'),
    artwork: join(root, 'artwork'),
    downloads: join(root, 'downloads'),
    secretKey: join(root, 'secret.key'),
    nodeId: join(root, 'node-id'),
  };
}

/**
 * This replica's name, kept in its data directory so a restart is the same replica: runs whose files
 * were staged on this disk wait for it.
 */
export function nodeId(root: string): string {
  const file = dataLayout(root).nodeId;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(root, { recursive: true });
  const id = randomBytes(8).toString('hex');
  writeFileSync(file, `${id}\n`, { flag: 'wx' });
  return id;
}
