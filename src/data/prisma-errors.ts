import { BadUserInputError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';

/** A unique-constraint violation becomes BAD_USER_INPUT; anything else stays unexpected. */
export function rethrowUniqueViolation(message: string, field: string) {
  return (error: unknown): never => {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new BadUserInputError(message, field);
    }
    throw error;
  };
}
