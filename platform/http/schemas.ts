import { Type } from 'typebox';

/** `T | null` in a route schema (an optional field the client may clear with `null`). */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);
