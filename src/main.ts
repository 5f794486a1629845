import { ConfigError, loadConfig } from './config.js';
import { DatabaseUnavailableError } from './db/database.js';
import { MigrationError } from './db/migrator.js';
import { createLogger } from './logger.js';
import { startApp } from './server/app.js';

const startedAt = performance.now();
let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = createLogger(config.logLevel);
try {
  const app = await startApp(config, log);
  log.info(
    { url: app.url, database: app.db.kind, authMode: config.authMode, startupMs: Math.round(performance.now() - startedAt) },
    `Klug is serving GraphQL at ${app.url}`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining and shutting down');
    await app.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  // a problem of the setup is told in one line; anything else keeps its stack for whoever debugs it
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof DatabaseUnavailableError || error instanceof MigrationError) log.fatal(`start-up failed: ${error.message}`);
  else log.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
