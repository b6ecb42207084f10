// Typed clients for both services (types generated from their OpenAPI
// documents), wired to the browser session.
import createClient from 'openapi-fetch';
import { config } from '../config';
import { localLock, Session, type SessionDeps, type SessionMessage, type TokenAnswer } from '../session/session';
import type { paths as CarbonPaths, components as CarbonComponents } from './carbon-service';
import type { paths as UserPaths, components as UserComponents } from './user-service';

export type UsageType = CarbonComponents['schemas']['UsageType'];
export type Usage = CarbonComponents['schemas']['UsageResponse'];
export type Summary = CarbonComponents['schemas']['Summary'];
export type User = UserComponents['schemas']['UserResponse'];
export type Problem = CarbonComponents['schemas']['ProblemDetails'];

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('carbon-session');

async function refreshRequest(): Promise<TokenAnswer | null> {
  try {
    const r = await fetch(`${config.userApi}/auth/jwt/refresh`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-delivery': 'cookie' },
      body: 'grant_type=refresh_token',
    });
    return r.ok ? ((await r.json()) as TokenAnswer) : null;
  } catch {
    return null;
  }
}

const deps: SessionDeps = {
  refreshRequest,
  now: () => Date.now(),
  setTimer: (run, ms) => window.setTimeout(run, ms),
  clearTimer: (handle) => window.clearTimeout(handle as number),
  withLock: typeof navigator !== 'undefined' && navigator.locks
    ? <T,>(name: string, task: () => Promise<T>) => navigator.locks.request(name, task) as Promise<T>
    : localLock(),
  broadcast: (message: SessionMessage) => channel?.postMessage(message),
};

export const session = new Session(deps);
channel?.addEventListener('message', (event: MessageEvent<SessionMessage>) => session.receive(event.data));

/** Sends with the access token; refreshes once on a 401. */
const authorizedFetch = (request: Request) =>
  session.authorized((token) => {
    const attempt = request.clone();
    if (token) attempt.headers.set('Authorization', `Bearer ${token}`);
    return fetch(attempt);
  });

/** Calls that need the caller's token. */
export const users = createClient<UserPaths>({ baseUrl: config.userApi, fetch: authorizedFetch, credentials: 'include' });
export const carbon = createClient<CarbonPaths>({ baseUrl: config.carbonApi, fetch: authorizedFetch });
/** Calls made before logging in. */
export const publicUsers = createClient<UserPaths>({ baseUrl: config.userApi });
export const publicCarbon = createClient<CarbonPaths>({ baseUrl: config.carbonApi });

/** Logs in; the refresh token goes into an HttpOnly cookie. */
export async function logIn(email: string, password: string): Promise<string | null> {
  const r = await fetch(`${config.userApi}/auth/jwt/login`, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-delivery': 'cookie' },
    body: new URLSearchParams({ grant_type: 'password', username: email, password }),
  });
  if (r.ok) {
    session.start((await r.json()) as TokenAnswer);
    return null;
  }
  if (r.status === 429) return 'Too many attempts; wait a minute and try again.';
  return r.status === 400 ? 'The email or password is incorrect.' : 'Logging in failed; try again shortly.';
}

/** Ends this session (or every session) on the server and in every tab. */
export async function logOut(everywhere: boolean): Promise<void> {
  await users.POST('/auth/jwt/logout', { body: everywhere ? { all: true } : {} }).catch(() => undefined);
  session.logout();
}

/** The token's `superuser` claim (the server checks it again on every call). */
export function isSuperuser(): boolean {
  const token = session.accessToken;
  const payload = token?.split('.')[1];
  if (!payload) return false;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return (JSON.parse(json) as { superuser?: boolean }).superuser === true;
  } catch {
    return false;
  }
}

/** What a failed call said: a detail line and the field errors by field. */
export interface ProblemSummary {
  detail: string;
  fields: Record<string, string>;
  status: number;
}

export function summarize(error: unknown, response: Response): ProblemSummary {
  const problem = (error ?? {}) as Partial<Problem>;
  const fields: Record<string, string> = {};
  for (const e of problem.errors ?? []) fields[e.field] = fields[e.field] ? `${fields[e.field]}; ${e.message}` : e.message;
  return { detail: problem.detail ?? `The request failed (${response.status}).`, fields, status: response.status };
}
