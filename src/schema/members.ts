import { builder } from './builder.ts';

builder.prismaObject('Member', {
  description: 'A person of the account, known by the subject of their identity provider.',
  fields: (t) => ({
    id: t.exposeID('id'),
    subject: t.exposeString('subject', { description: "The `sub` claim of the member's tokens." }),
    email: t.exposeString('email', {
      nullable: true,
      description: "The `email` claim of the member's latest token that carried one (plain text, at most 320 characters).",
    }),
    name: t.exposeString('name', {
      nullable: true,
      description: "The `name` claim of the member's latest token that carried one (plain text, at most 200 characters).",
    }),
  }),
});
