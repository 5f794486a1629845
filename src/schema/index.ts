import { builder } from './builder.js';
import './scalars.js';
import './root.js';
import './errors.js';
import './accounts.js';
import './system.js';
import './library.js';
import './library-inputs.js';
import './stats.js';
import './sharing.js';
import '../resolvers/accounts.js';
import '../resolvers/system.js';
import '../resolvers/library.js';
import '../resolvers/stats.js';
import '../resolvers/sharing.js';
import '../resolvers/backfill.js';

export const schema = builder.toSchema({ sortSchema: true });
