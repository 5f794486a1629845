// The one place that puts the schema together: every domain's types (schema/) and fields (resolvers/).
import { builder } from '../schema/builder.js';
import '../schema/scalars.js';
import '../schema/root.js';
import '../schema/errors.js';
import '../schema/accounts.js';
import '../schema/system.js';
import '../schema/library.js';
import '../schema/library-inputs.js';
import '../schema/stats.js';
import '../schema/sharing.js';
import '../schema/backfill.js';
import '../schema/imports.js';
import '../schema/jobs.js';
import '../schema/artwork.js';
import '../resolvers/accounts.js';
import '../resolvers/system.js';
import '../resolvers/library.js';
import '../resolvers/stats.js';
import '../resolvers/sharing.js';
import '../resolvers/backfill.js';
import '../resolvers/imports.js';
import '../resolvers/jobs.js';
import '../resolvers/metadata.js';
import '../resolvers/artwork.js';

export const schema = builder.toSchema({ sortSchema: true });
