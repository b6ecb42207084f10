// Typed clients for both services (types generated from their OpenAPI
// documents), wired to the browser session.
import createClient from 'openapi-fetch';
import { config } from '../config';
import { localLock, Session, type RetryLater, type SessionDeps, type SessionMessage, type TokenAnswer } from '../session/session';
import type { paths as CarbonPaths, components as CarbonComponents } from './carbon-service';
import type { paths as UserPaths, components as UserComponents } from './user-service';

export type UsageType = CarbonComponents['schemas']['UsageType'];
export type Usage = CarbonComponents['schemas']['UsageResponse'];
export type Summary = CarbonComponents['schemas']['Summary'];
export type Dimension = CarbonComponents['schemas']['DimensionResponse'];
export type GasTotals = CarbonComponents['schemas']['GasTotals'];
export type CarbonSchemas = CarbonComponents['schemas'];
export type User = UserComponents['schemas']['UserResponse'];
export type Organization = UserComponents['schemas']['OrgResponse'];
export type Member = UserComponents['schemas']['MemberResponse'];
export type Invitation = UserComponents['schemas']['InvitationResponse'];
export type OrgRole = UserComponents['schemas']['OrgRole'];
export { grantable, type Capability } from './roles';
import { can as canAs, type Capability as Cap } from './roles';
export type Problem = CarbonComponents['schemas']['ProblemDetails'];

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('carbon-session');

/** The organization this tab acts in: kept per tab (sessionStorage), sent
 * on every refresh, so that tabs sharing the refresh cookie never cross
 * organizations. Unset in a new tab until its first token names one. */
const TAB_ORG = 'carbon.org';

export function tabOrg(): string | null {
  try {
    return sessionStorage.getItem(TAB_ORG);
  } catch {
    return null;
  }
}

function setTabOrg(id: string | null): void {
  try {
    if (id) sessionStorage.setItem(TAB_ORG, id);
    else sessionStorage.removeItem(TAB_ORG);
  } catch {
    // Storage refused: the tab follows the login's organization.
  }
}

/** The claims of an access token that the page shows or follows (the
 * services check them again on every call). */
export interface Claims {
  sub?: string;
  email?: string;
  superuser?: boolean;
  org?: string;
  org_role?: OrgRole;
}

export function claimsOf(token: string | null): Claims {
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Claims;
  } catch {
    return {};
  }
}

async function postRefresh(org: string | null): Promise<Response> {
  const body = new URLSearchParams({ grant_type: 'refresh_token' });
  if (org) body.set('org_id', org);
  return fetch(`${config.userApi}/auth/jwt/refresh`, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-delivery': 'cookie' },
    body,
  });
}

async function refreshRequest(): Promise<TokenAnswer | RetryLater | null> {
  try {
    let r = await postRefresh(tabOrg());
    if (r.status === 403) {
      // No longer a member: back to the personal organization (the user's
      // own id), whose membership cannot end.
      const own = claimsOf(session.accessToken).sub ?? null;
      setTabOrg(own);
      r = await postRefresh(own);
    }
    // A limit is not a logout: keep the session and try again later.
    if (r.status === 429) return { retryAfterSeconds: Number(r.headers.get('retry-after')) || 30 };
    if (!r.ok) return null;
    const answer = (await r.json()) as TokenAnswer;
    if (!tabOrg()) setTabOrg(claimsOf(answer.access_token).org ?? null);
    return answer;
  } catch {
    return null;
  }
}

const deps: SessionDeps = {
  refreshRequest,
  org: tabOrg,
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

/** Set at login, cleared when the session ends: a visit without it makes
 * no refresh call that could only fail (the cookie is HttpOnly, so the page
 * cannot see whether it exists). */
const SIGNED_IN = 'carbon.signed-in';

function remember(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(SIGNED_IN, '1');
    else localStorage.removeItem(SIGNED_IN);
  } catch {
    // Storage refused (a private window): every visit then tries the cookie.
  }
}

/** Whether this browser may hold a refresh cookie worth trying. */
export function mayBeSignedIn(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN) !== null || !('localStorage' in globalThis);
  } catch {
    return true;
  }
}

// A session that ends (a refused refresh, a logout in any tab) clears it.
session.subscribe(() => {
  if (!session.loggedIn) remember(false);
});

/** Logs in, into this tab's organization (the personal one when none is
 * chosen, or when the user is no longer a member); the refresh token goes
 * into an HttpOnly cookie. */
export async function logIn(email: string, password: string): Promise<string | null> {
  const post = (org: string | null) => {
    const body = new URLSearchParams({ grant_type: 'password', username: email, password });
    if (org) body.set('org_id', org);
    return fetch(`${config.userApi}/auth/jwt/login`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-delivery': 'cookie' },
      body,
    });
  };
  let r = await post(tabOrg());
  if (r.status === 403) {
    setTabOrg(null);
    r = await post(null);
  }
  if (r.ok) {
    const answer = (await r.json()) as TokenAnswer;
    setTabOrg(claimsOf(answer.access_token).org ?? null);
    session.start(answer);
    remember(true);
    return null;
  }
  if (r.status === 429) return 'Too many attempts; wait a minute and try again.';
  return r.status === 400 ? 'The email or password is incorrect.' : 'Logging in failed; try again shortly.';
}

/**
 * Ends this session (or every session) on the server and in every tab.
 * The refresh cookie alone ends this session, so an expired access token
 * does not stop it. `false` when the server could not be told: the tab is
 * logged out either way, but the login may still be live elsewhere.
 */
export async function logOut(everywhere: boolean): Promise<boolean> {
  let done = false;
  try {
    if (everywhere) {
      const { response } = await users.POST('/auth/jwt/logout', {
        body: { all: true },
        headers: { 'x-token-delivery': 'cookie' },
      });
      done = response.ok;
    } else {
      const r = await fetch(`${config.userApi}/auth/jwt/logout`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-token-delivery': 'cookie' },
        body: '{}',
      });
      done = r.ok;
    }
  } catch {
    done = false;
  }
  session.logout();
  setTabOrg(null);
  return done;
}

/** Shown on the login page when the server could not end the session. */
export const LOGOUT_FAILED =
  'You are logged out here, but the server could not be told: your login may still work on other devices. ' +
  'Log in and choose “Log out everywhere” when the connection is back.';

/**
 * Logs in again with the password, for an operation that needs a recent
 * login (erasing data). `null` when done, else what went wrong.
 */
export async function confirmPassword(password: string, intoPersonal = false): Promise<string | null> {
  const { email, sub } = claimsOf(session.accessToken);
  if (!email) return 'Your session has ended; log in again.';
  if (intoPersonal && sub) setTabOrg(sub);
  return logIn(email, password);
}

/** The token's `superuser` claim (the server checks it again on every call). */
export function isSuperuser(): boolean {
  return claimsOf(session.accessToken).superuser === true;
}

/** The organization the session acts in, and the role in it. */
export function currentOrg(): { id: string | null; role: OrgRole } {
  const claims = claimsOf(session.accessToken);
  return { id: claims.org ?? claims.sub ?? null, role: claims.org_role ?? 'owner' };
}

/** What the session's role may do (see `roles`). */
export function can(capability: Cap, role: OrgRole = currentOrg().role): boolean {
  return canAs(capability, role);
}

/** A window event: an organization's name changed (the switcher reads them again). */
export const ORGS_CHANGED = 'orgs-changed';

/** Acts in `org` from now on in this tab: a new token for it. `false` when
 * the session ended instead. */
export async function switchOrg(org: string): Promise<boolean> {
  setTabOrg(org);
  return session.switched();
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
