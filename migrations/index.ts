import { InitialSchema1764000000000 } from './1764000000000-initial-schema';

/** Every migration, in order. A landed migration is never edited: add a new file. */
export const ALL_MIGRATIONS = [InitialSchema1764000000000];
