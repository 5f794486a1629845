/**
 * What one library item or viewing may hold. createMedia, recordWatch and every importer check these same
 * numbers; they also keep every indexed value well under PostgreSQL's btree limit (about 2,700 bytes).
 */
export const MAX_TITLE_LENGTH = 500;
export const MAX_EXTERNAL_ID_LENGTH = 200;
export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 100;
export const MAX_REVIEW_LENGTH = 20_000;
