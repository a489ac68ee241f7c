import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { newId } from '../ids.ts';
import { generateSecret, hashSecret, OPERATOR_TOKEN_PREFIX } from './tokens.ts';
import type { IssuedToken } from './users.ts';

/** Issues a platform-operator token (CLI only: there is no HTTP route that creates one). */
export async function createOperatorToken(db: Database, operatorName: string): Promise<IssuedToken> {
  const id = newId('opt');
  const token = generateSecret(OPERATOR_TOKEN_PREFIX);
  await inSystemTransaction(db, (tx) =>
    tx.execute(sql`insert into operator_tokens (id, operator_name, token_hash)
                   values (${id}, ${operatorName}, ${hashSecret(token)})`),
  );
  return { id, token };
}

export async function revokeOperatorToken(db: Database, id: string): Promise<boolean> {
  const res = await inSystemTransaction(db, (tx) =>
    tx.execute(
      sql`update operator_tokens set revoked_at = now() where id = ${id} and revoked_at is null returning id`,
    ),
  );
  return (res as unknown as { rows: unknown[] }).rows.length > 0;
}
