// The browser session: the access token lives in memory only; the refresh
// token lives in an HttpOnly cookie that user-service sets and page scripts
// cannot read. The token is refreshed before it expires and once after a
// 401; when refreshing fails the user must log in again.
//
// Tabs share one cookie. Refresh tokens are single use and reuse revokes
// the whole login, so two tabs must never refresh with the same cookie: a
// lock shared by the tabs (Web Locks) serialises refreshes, and a tab that
// waited for the lock adopts the token the other tab just got (broadcast on
// a BroadcastChannel) instead of refreshing again.
//
// Each tab acts in one organization (its own choice), and every refresh
// names it: a tab adopts another tab's token only when both act in the
// same organization, so tabs sharing the cookie never cross organizations.

export interface TokenAnswer {
  access_token: string;
  /** Seconds. */
  expires_in: number;
}

/** The refresh was rate limited (429): the login is fine, try again later. */
export interface RetryLater {
  retryAfterSeconds: number;
}

export type SessionMessage =
  | { kind: 'token'; accessToken: string; expiresAt: number; issuedAt: number; org: string | null }
  | { kind: 'logout' };

export interface SessionDeps {
  /** POST /auth/jwt/refresh with the cookie, into this tab's
   * organization; null when refused. */
  refreshRequest(): Promise<TokenAnswer | RetryLater | null>;
  /** The organization this tab acts in (null: not chosen yet). */
  org(): string | null;
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Runs `task` while holding a lock shared by every tab of the app. */
  withLock<T>(name: string, task: () => Promise<T>): Promise<T>;
  /** Posts to the other tabs. */
  broadcast(message: SessionMessage): void;
}

/** Refresh this long before expiry (or at half the lifetime, if shorter). */
export const REFRESH_MARGIN_MS = 60_000;
export const REFRESH_LOCK = 'carbon-session-refresh';

export class Session {
  private token: string | null = null;
  private expiresAt = 0;
  /** When this tab last got a token (its own or adopted). */
  private issuedAt = 0;
  private timer: unknown = null;
  /** A retry scheduled after a rate-limited refresh, and who waits for it. */
  private retrying: { done: Promise<boolean>; settle: (ok: boolean) => void } | null = null;
  /** When that retry is due (ms since the epoch), for the page to show. */
  private retryAt: number | null = null;
  private listeners = new Set<() => void>();

  constructor(private readonly deps: SessionDeps) {}

  get accessToken(): string | null {
    return this.token;
  }

  get loggedIn(): boolean {
    return this.token !== null;
  }

  /** When a rate-limited refresh is tried again (null: none waits). */
  get retryDueAt(): number | null {
    return this.retryAt;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A token from login (or a refresh); shared with the other tabs. */
  start(answer: TokenAnswer): void {
    const now = this.deps.now();
    this.adopt(answer.access_token, now + answer.expires_in * 1000, now);
    this.deps.broadcast({
      kind: 'token',
      accessToken: answer.access_token,
      expiresAt: this.expiresAt,
      issuedAt: now,
      org: this.deps.org(),
    });
  }

  /** A message from another tab. */
  receive(message: SessionMessage): void {
    if (message.kind === 'token') {
      // Another organization's token is not this tab's.
      if (message.org !== this.deps.org()) return;
      if (message.issuedAt > this.issuedAt) this.adopt(message.accessToken, message.expiresAt, message.issuedAt);
    } else {
      this.clear();
    }
  }

  /**
   * Gets a fresh access token through the cookie. `true` when this tab has
   * a usable token afterwards. Concurrent calls, in this tab or others,
   * result in one refresh.
   */
  async refresh(): Promise<boolean> {
    return this.replace(this.token);
  }

  /**
   * At start-up (a reload): the session the cookie holds. A rate-limited
   * refresh (a burst of reloads) waits for its retry, instead of sending
   * someone who is logged in to the login page.
   */
  async restore(): Promise<boolean> {
    let ok = await this.refresh();
    while (!ok && this.retrying) ok = await this.retrying.done;
    return ok;
  }

  /** Gets a token for this tab's organization, which just changed: the
   * current one is of the organization before. */
  async switched(): Promise<boolean> {
    const replacing = this.token;
    this.issuedAt = 0;
    return this.replace(replacing);
  }

  private async replace(replacing: string | null): Promise<boolean> {
    return this.deps.withLock(REFRESH_LOCK, async () => {
      // Another tab (or call) refreshed while this one waited for the lock.
      if (this.token !== null && this.token !== replacing) return true;
      const answer = await this.deps.refreshRequest();
      if (answer === null) {
        this.clear();
        return false;
      }
      if ('retryAfterSeconds' in answer) {
        // A limit, not a refusal: keep the session and try again then.
        this.retryAfter(answer.retryAfterSeconds * 1000);
        return this.token !== null && this.deps.now() < this.expiresAt;
      }
      this.start(answer);
      return true;
    });
  }

  /**
   * Runs an authorised request; on a 401 refreshes once and retries, then
   * gives up (the caller sends the user to the login page).
   */
  async authorized(send: (token: string | null) => Promise<Response>): Promise<Response> {
    if (this.token === null) await this.refresh();
    const sent = this.token;
    const first = await send(sent);
    if (first.status !== 401) return first;
    // Refresh unless another call already replaced the rejected token.
    if (this.token === sent && !(await this.refresh())) return first;
    const second = await send(this.token);
    if (second.status === 401) this.clear();
    return second;
  }

  /** Forgets the token here and in every tab. */
  logout(): void {
    this.clear();
    this.deps.broadcast({ kind: 'logout' });
  }

  private adopt(token: string, expiresAt: number, issuedAt: number): void {
    this.token = token;
    this.expiresAt = expiresAt;
    this.issuedAt = issuedAt;
    this.schedule();
    this.settleRetry(true);
    this.notify();
  }

  private settleRetry(ok: boolean): void {
    const retry = this.retrying;
    this.retrying = null;
    this.retryAt = null;
    retry?.settle(ok);
  }

  private schedule(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    const lifetime = this.expiresAt - this.issuedAt;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 2);
    const due = Math.max(0, this.expiresAt - margin - this.deps.now());
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      void this.refresh();
    }, due);
  }

  private retryAfter(ms: number): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    if (this.retrying === null) {
      let settle: (ok: boolean) => void = () => {};
      const done = new Promise<boolean>((resolve) => { settle = resolve; });
      this.retrying = { done, settle };
    }
    const retry = this.retrying;
    const wait = Math.max(ms, 1000);
    this.retryAt = this.deps.now() + wait;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      // Limited again: the refresh schedules a new retry, which `restore` waits for.
      this.retrying = null;
      this.retryAt = null;
      void this.refresh().then(retry.settle);
    }, wait);
    this.notify();
  }

  private clear(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    this.settleRetry(false);
    const was = this.token;
    this.token = null;
    this.expiresAt = 0;
    if (was !== null) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** An in-tab lock, for browsers without Web Locks (and for tests). */
export function localLock(): SessionDeps['withLock'] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(_name: string, task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
