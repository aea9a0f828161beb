import { builder } from './builder.ts';

builder.prismaObject('Member', {
  description: 'A person of the account, known by the subject of their identity provider.',
  fields: (t) => ({
    id: t.exposeID('id'),
    subject: t.exposeString('subject', { description: "The `sub` claim of the member's tokens." }),
  }),
});
