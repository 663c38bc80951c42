import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Authentication1764000100000 } from './1764000100000-authentication';

/** Every migration, in order. A landed migration is never edited: add a new file. */
export const ALL_MIGRATIONS = [InitialSchema1764000000000, Authentication1764000100000];
