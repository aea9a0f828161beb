// Recipients: a verified recipient token names a recipient, which must still
// exist (deleting a recipient refuses its tokens at once, on every instance).
import type { WorkScope } from '../db/deadline.ts';
import type { Sql } from '../db/sql.ts';
import { UnauthenticatedError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { RecipientCaller } from './caller.ts';
import type { RecipientTokens } from './recipient-tokens.ts';

export type AuthenticateRecipient = (token: string, work?: WorkScope) => Promise<RecipientCaller>;

export function createRecipientAuthenticator(sql: Sql, tokens: RecipientTokens): AuthenticateRecipient {
  return async (token, work) => {
    const { accountId, recipientId, expiresAt } = await tokens.verify(token);
    const [row] = await sql<{ externalId: string }>(
      Prisma.sql`SELECT "externalId" FROM "Recipient" WHERE id = ${recipientId}::uuid AND "accountId" = ${accountId}::uuid`,
      { prepare: true, scope: work },
    );
    if (!row) throw new UnauthenticatedError('The recipient token is invalid or expired.');
    return { kind: 'recipient', accountId, recipientId, externalId: row.externalId, expiresAt };
  };
}
