import { builder } from './builder.ts';
import './channels.ts';
import './recipients.ts';
import './api-keys.ts';
import './messages.ts';
import './members.ts';
import './audit.ts';
import './inbox.ts';
import './webhooks.ts';

export const schema = builder.toSchema({ sortSchema: true });
