import { builder } from './builder.js';
import './scalars.js';
import './root.js';
import './errors.js';
import './accounts.js';
import './system.js';
import '../resolvers/accounts.js';
import '../resolvers/system.js';

export const schema = builder.toSchema({ sortSchema: true });
