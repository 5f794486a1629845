import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const LOG_IN = graphql(`
  mutation ThrottledLogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) {
      __typename
      ... on Error {
        code
        message
      }
      ... on TooManyAttemptsError {
        retryAfterSeconds
      }
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { KLUG_TRUST_PROXY: 'true' },
    overrides: { loginThrottle: { slowAfter: 2, lockAfter: 4 } },
  });
});
afterAll(() => server?.stop());

async function failTimes(email: string, times: number, address: string) {
  const answers: string[] = [];
  for (let i = 0; i < times; i++) {
    const data = await server.gql(
      LOG_IN,
      { email, password: 'wrong password entirely' },
      { headers: { 'x-forwarded-for': address } },
    );
    answers.push(data.logIn.__typename);
  }
  return answers;
}

describe('failed log-ins', () => {
  it('slows down, then refuses the account for a while, even with the right password', async () => {
    const person = await server.newPerson();
    const answers = await failTimes(person.email, 4, '10.0.0.1');
    expect(answers).toEqual(Array(4).fill('InvalidCredentialsError'));
    const throttle = await server.app.db.prisma.loginThrottle.findUniqueOrThrow({ where: { key: `email:${person.email}` } });
    expect(throttle.failures).toBe(4);
    expect(throttle.lockedUntil!.getTime()).toBeGreaterThan(Date.now());

    const locked = await server.gql(
      LOG_IN,
      { email: person.email, password: person.password },
      { headers: { 'x-forwarded-for': '10.0.1.1' } },
    );
    expect(locked.logIn).toMatchObject({ __typename: 'TooManyAttemptsError', code: 'TOO_MANY_ATTEMPTS' });
    if (locked.logIn.__typename === 'TooManyAttemptsError') {
      expect(locked.logIn.retryAfterSeconds).toBeGreaterThan(800);
      expect(locked.logIn.retryAfterSeconds).toBeLessThanOrEqual(900);
    }
  });

  it('lets the person in again once the lock has passed, and forgets the failures', async () => {
    const person = await server.newPerson();
    await failTimes(person.email, 4, '10.0.0.2');
    const { prisma } = server.app.db;
    await prisma.loginThrottle.update({
      where: { key: `email:${person.email}` },
      data: { lockedUntil: new Date(Date.now() - 1000), windowStart: new Date(Date.now() - 3_600_000) },
    });
    const data = await server.gql(
      LOG_IN,
      { email: person.email, password: person.password },
      { headers: { 'x-forwarded-for': '10.0.1.2' } },
    );
    expect(data.logIn.__typename).toBe('AuthSuccess');
    expect(await prisma.loginThrottle.count({ where: { key: `email:${person.email}` } })).toBe(0);
  });

  it('does not lock other accounts when one is attacked', async () => {
    const victim = await server.newPerson();
    const bystander = await server.newPerson();
    await failTimes(victim.email, 4, '10.0.0.3');
    const data = await server.gql(
      LOG_IN,
      { email: bystander.email, password: bystander.password },
      { headers: { 'x-forwarded-for': '10.0.1.3' } },
    );
    expect(data.logIn.__typename).toBe('AuthSuccess');
  });

  it('refuses an address that guesses across many accounts', async () => {
    const address = '10.0.0.4';
    // the address tolerates three times the per-account limit: 12 failures over 4 accounts of 3 each
    for (let i = 0; i < 4; i++) await failTimes(`nobody-${i}@example.com`, 3, address);
    const person = await server.newPerson();
    const credentials = { email: person.email, password: person.password };
    const fromThere = await server.gql(LOG_IN, credentials, { headers: { 'x-forwarded-for': address } });
    expect(fromThere.logIn).toMatchObject({ __typename: 'TooManyAttemptsError' });
    const fromElsewhere = await server.gql(LOG_IN, credentials, { headers: { 'x-forwarded-for': '10.0.1.4' } });
    expect(fromElsewhere.logIn.__typename).toBe('AuthSuccess');
  });
});
