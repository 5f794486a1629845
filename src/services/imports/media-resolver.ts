/** Imports resolve their records by the library's one matching rule; the runner builds one resolver per batch. */
export { MediaResolver } from '../library/media-resolver.js';
