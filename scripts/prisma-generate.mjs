// Runs `prisma generate` offline. The CLI insists on a schema-engine binary it cannot download here,
// yet generate never executes it: pointing the variable at any existing file satisfies the check.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync('npx', ['prisma', 'generate', '--no-hints'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
