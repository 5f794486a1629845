import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrator.js';
import { backfillShows } from '../services/library/backfill.js';

/** `npm run backfill:shows -- [--dry-run] [--email person@example.com]`: every person, or one. */
const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, email: { type: 'string' } } });

try {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    await migrate(db.sql);
    const people = await db.prisma.user.findMany({ where: values.email ? { email: values.email.toLowerCase() } : {} });
    if (values.email && people.length === 0) throw new Error(`no account with email ${values.email}`);
    for (const person of people) {
      const report = await backfillShows(db.prisma, person.id, values['dry-run']);
      const verb = report.dryRun ? 'would link' : 'linked';
      console.log(
        `${person.email}: ${verb} ${report.linked} of ${report.examined} (${report.showsCreated} new shows, ${report.unmatched} unmatched)`,
      );
      for (const change of report.changes) {
        console.log(`  ${change.episodeTitle} → ${change.showTitle}${change.createsShow ? ' (new show)' : ''}`);
      }
    }
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Backfill failed: ${(error as Error).message}`);
  process.exit(1);
}
