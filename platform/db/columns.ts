import { timestamp } from 'drizzle-orm/pg-core';

/** A `timestamptz` column read as a JavaScript Date (every time in the schema is UTC). */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
