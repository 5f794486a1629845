import { defineConfig } from 'prisma/config';

// The CLI is used offline only (generate); migrations are applied by src/db/migrator.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/klug' },
});
