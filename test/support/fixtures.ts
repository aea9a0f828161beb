// vitest fixtures: one server per test file, a fresh uniquely named account per test.
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { test as base } from 'vitest';
import type { CreateApiKeyInput, ScopeInput, SendInput, SendMutation } from '../generated/graphql.ts';
import { Channels, CreateApiKey, CreateChannel, CreateRecipient, CreateRecipientToken, RollApiKey, Send } from './documents.ts';
import { dataOf, type RequestOptions, type Result, TestHerald } from './herald.ts';

export class TestAccount {
  constructor(
    readonly herald: TestHerald,
    readonly slug: string,
    readonly token: string,
  ) {}

  /** An account as its member's first request leaves it: provisioned, empty. */
  static async provision(herald: TestHerald, slug: string): Promise<TestAccount> {
    const account = new TestAccount(herald, slug, await herald.memberToken(slug));
    dataOf(await account.run(Channels));
    return account;
  }

  /** A request as a member of this account. */
  run<R, V>(document: TypedDocumentNode<R, V>, variables?: V, options: RequestOptions = {}): Promise<Result<R>> {
    return this.herald.execute(document, variables, { token: this.token, ...options });
  }

  async channel(slug: string, name = slug): Promise<string> {
    return dataOf(await this.run(CreateChannel, { input: { slug, name } })).createChannel.id;
  }

  async channels(...slugs: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const slug of slugs) ids.push(await this.channel(slug));
    return ids;
  }

  async recipient(externalId: string, channels: string[]): Promise<string> {
    return dataOf(await this.run(CreateRecipient, { input: { externalId, channels } })).createRecipient.id;
  }

  /** Creates n recipients subscribed to these channels. */
  async recipients(prefix: string, n: number, channels: string[]): Promise<void> {
    for (let i = 0; i < n; i += 1) await this.recipient(`${prefix}-${i}`, channels);
  }

  async key(scope: ScopeInput, name = `key-${randomUUID().slice(0, 8)}`, settings: Partial<CreateApiKeyInput> = {}): Promise<TestKey> {
    const { createApiKey } = dataOf(await this.run(CreateApiKey, { input: { name, scope, ...settings } }));
    return new TestKey(this.herald, createApiKey.apiKey.id, name, createApiKey.secret);
  }

  /** Rolls the key; the returned TestKey holds the new secret (the old one keeps its own). */
  async roll(key: TestKey, gracePeriodSeconds: number): Promise<TestKey> {
    const { rollApiKey } = dataOf(await this.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds } }));
    return new TestKey(this.herald, key.id, key.name, rollApiKey.secret);
  }

  /** A recipient token minted by a member of this account: the recipient reads its inbox with it. */
  async inboxOf(externalId: string, ttlSeconds?: number): Promise<TestRecipient> {
    const { createRecipientToken } = dataOf(await this.run(CreateRecipientToken, { input: { externalId, ttlSeconds } }));
    return new TestRecipient(this.herald, externalId, createRecipientToken.recipient.id, createRecipientToken.token);
  }

  snapshot(): Promise<unknown> {
    return this.herald.snapshot(this.slug);
  }
}

/** One recipient, with a token for its own inbox. */
export class TestRecipient {
  constructor(
    readonly herald: TestHerald,
    readonly externalId: string,
    readonly id: string,
    readonly token: string,
  ) {}

  run<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<Result<R>> {
    return this.herald.execute(document, variables, { token: this.token });
  }

  toString(): string {
    return `TestRecipient(${this.externalId})`;
  }
}

export class TestKey {
  constructor(
    readonly herald: TestHerald,
    readonly id: string,
    readonly name: string,
    readonly secret: string,
  ) {}

  run<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<Result<R>> {
    return this.herald.execute(document, variables, { token: this.secret });
  }

  send(target: string[] | null | undefined, title = 'Hello', body = 'Body'): Promise<Result<SendMutation>> {
    const input: SendInput = { message: { title, body }, ...(target === undefined ? {} : { target: { channels: target } }) };
    return this.run(Send, { input });
  }

  /** A send with the message's fields given (title "Hello" and body "Body" unless said). */
  sendWith(
    target: string[] | null | undefined,
    message: { title?: string; body?: string; data?: Record<string, unknown> } = {},
  ): Promise<Result<SendMutation>> {
    const input: SendInput = {
      message: { title: 'Hello', body: 'Body', ...message },
      ...(target === undefined ? {} : target === null ? {} : { target: { channels: target } }),
    };
    return this.run(Send, { input });
  }

  /** Keeps the secret out of any assertion message. */
  toString(): string {
    return `TestKey(${this.name})`;
  }
}

export function uniqueSlug(prefix = 'acct'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export const test = base.extend<{ $test: { account: TestAccount; other: TestAccount }; $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start();
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
  account: async ({ herald }, use) => {
    await use(await TestAccount.provision(herald, uniqueSlug()));
  },
  /** A second account, for tenant isolation. */
  other: async ({ herald }, use) => {
    await use(await TestAccount.provision(herald, uniqueSlug('other')));
  },
});

export { describe, expect } from 'vitest';
