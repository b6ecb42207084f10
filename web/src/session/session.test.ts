import { describe, expect, it } from 'vitest';
import { localLock, REFRESH_MARGIN_MS, Session, type RetryLater, type SessionDeps, type SessionMessage, type TokenAnswer } from './session';

/** A fake clock and timers, a shared lock and channel: several "tabs". */
function world() {
  let now = 1_000_000;
  const timers: { at: number; run: () => void; live: boolean }[] = [];
  const tabs: Session[] = [];
  const lock = localLock();
  let issued = 0;
  let refreshCalls = 0;
  let refuse = false;
  let limited = 0;
  const refreshRequest = async (): Promise<TokenAnswer | RetryLater | null> => {
    refreshCalls += 1;
    await Promise.resolve();
    if (refuse) return null;
    if (limited > 0) {
      limited -= 1;
      return { retryAfterSeconds: 20 };
    }
    issued += 1;
    return { access_token: `token-${issued}`, expires_in: 900 };
  };
  let org: string | null = null;
  const tab = () => {
    const deps: SessionDeps = {
      refreshRequest,
      org: () => org,
      now: () => now,
      setTimer: (run, ms) => {
        const timer = { at: now + ms, run, live: true };
        timers.push(timer);
        return timer;
      },
      clearTimer: (handle) => {
        (handle as { live: boolean }).live = false;
      },
      withLock: lock,
      broadcast: (message: SessionMessage) => {
        for (const other of tabs) if (other !== session) other.receive(message);
      },
    };
    const session = new Session(deps);
    tabs.push(session);
    return session;
  };
  return {
    tab,
    advance(ms: number) {
      now += ms;
      for (const t of timers) if (t.live && t.at <= now) {
        t.live = false;
        t.run();
      }
    },
    pending: () => timers.filter((t) => t.live).map((t) => t.at - now),
    get now() {
      return now;
    },
    /** Every tab of this world acts in `id` from now on. */
    actIn(id: string | null) {
      org = id;
    },
    get refreshCalls() {
      return refreshCalls;
    },
    refuseRefresh() {
      refuse = true;
    },
    limitRefreshes(times: number) {
      limited = times;
    },
  };
}

const response = (status: number) => new Response(null, { status });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('refresh timing', () => {
  it('refreshes a minute before the access token expires', async () => {
    const w = world();
    const session = w.tab();
    session.start({ access_token: 'login', expires_in: 900 });
    expect(w.pending()).toEqual([900_000 - REFRESH_MARGIN_MS]);
    w.advance(900_000 - REFRESH_MARGIN_MS - 1);
    expect(w.refreshCalls).toBe(0);
    w.advance(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(w.refreshCalls).toBe(1);
    expect(session.accessToken).toBe('token-1');
  });

  it('refreshes at half the lifetime when that is sooner', () => {
    const w = world();
    const session = w.tab();
    session.start({ access_token: 'login', expires_in: 60 });
    expect(w.pending()).toEqual([30_000]);
  });
});

describe('a 401', () => {
  it('is retried once after a refresh', async () => {
    const w = world();
    const session = w.tab();
    session.start({ access_token: 'stale', expires_in: 900 });
    const seen: (string | null)[] = [];
    const r = await session.authorized(async (token) => {
      seen.push(token);
      return response(token === 'stale' ? 401 : 200);
    });
    expect(r.status).toBe(200);
    expect(seen).toEqual(['stale', 'token-1']);
  });

  it('ends the session when the retry is refused too', async () => {
    const w = world();
    const session = w.tab();
    session.start({ access_token: 'stale', expires_in: 900 });
    let sends = 0;
    const r = await session.authorized(async () => {
      sends += 1;
      return response(401);
    });
    expect(r.status).toBe(401);
    expect(sends).toBe(2);
    expect(session.loggedIn).toBe(false);
  });

  it('ends the session without a retry when the refresh is refused', async () => {
    const w = world();
    const session = w.tab();
    session.start({ access_token: 'stale', expires_in: 900 });
    w.refuseRefresh();
    let sends = 0;
    await session.authorized(async () => {
      sends += 1;
      return response(401);
    });
    expect(sends).toBe(1);
    expect(session.loggedIn).toBe(false);
  });
});

describe('tabs', () => {
  it('refreshing at the same moment uses the cookie once and both stay logged in', async () => {
    const w = world();
    const [a, b] = [w.tab(), w.tab()];
    a.start({ access_token: 'login', expires_in: 900 });
    expect(b.accessToken).toBe('login');
    w.advance(1);
    const [ra, rb] = await Promise.all([a.refresh(), b.refresh()]);
    expect([ra, rb]).toEqual([true, true]);
    expect(w.refreshCalls).toBe(1);
    expect(a.accessToken).toBe('token-1');
    expect(b.accessToken).toBe('token-1');
  });

  it('a logout in one tab logs out every tab', () => {
    const w = world();
    const [a, b] = [w.tab(), w.tab()];
    a.start({ access_token: 'login', expires_in: 900 });
    b.logout();
    expect(a.loggedIn).toBe(false);
    expect(w.pending()).toEqual([]);
  });

  it('a token of another organization from another tab is not adopted', () => {
    const w = world();
    const a = w.tab();
    a.start({ access_token: 'personal', expires_in: 900 });
    a.receive({ kind: 'token', accessToken: 'acme', expiresAt: 0, issuedAt: Number.MAX_SAFE_INTEGER, org: 'acme' });
    expect(a.accessToken).toBe('personal');
  });

  it('switching organization refreshes even though the token is fresh', async () => {
    const w = world();
    const a = w.tab();
    a.start({ access_token: 'login', expires_in: 900 });
    w.actIn('acme');
    expect(await a.switched()).toBe(true);
    expect(w.refreshCalls).toBe(1);
    expect(a.accessToken).toBe('token-1');
  });

  it('an older token from another tab does not replace a newer one', () => {
    const w = world();
    const a = w.tab();
    a.start({ access_token: 'new', expires_in: 900 });
    a.receive({ kind: 'token', accessToken: 'old', expiresAt: 0, issuedAt: 1, org: null });
    expect(a.accessToken).toBe('new');
  });
});

describe('a rate-limited refresh', () => {
  it('keeps the session and tries again after Retry-After', async () => {
    const w = world();
    const tab = w.tab();
    tab.start({ access_token: 'token-0', expires_in: 900 });
    w.limitRefreshes(1);
    w.advance(900_000 - REFRESH_MARGIN_MS);
    await flush();
    expect(w.refreshCalls).toBe(1);
    expect(tab.loggedIn).toBe(true);
    expect(tab.accessToken).toBe('token-0');
    w.advance(20_000);
    await flush();
    expect(w.refreshCalls).toBe(2);
    expect(tab.accessToken).toBe('token-1');
  });

  it('at start-up (a burst of reloads) is waited out instead of asking a logged-in user to log in', async () => {
    const w = world();
    const tab = w.tab();
    w.limitRefreshes(2);
    let restored: boolean | null = null;
    void tab.restore().then((ok) => { restored = ok; });
    await flush();
    expect(w.refreshCalls).toBe(1);
    expect(restored).toBeNull();
    w.advance(20_000);
    await flush();
    expect(w.refreshCalls).toBe(2);
    expect(restored).toBeNull();
    w.advance(20_000);
    await flush();
    expect(restored).toBe(true);
    expect(tab.accessToken).toBe('token-1');
  });

  it('at start-up tells the page when the limited refresh is tried again, and forgets it once in', async () => {
    const w = world();
    const tab = w.tab();
    let notified = 0;
    tab.subscribe(() => { notified += 1; });
    w.limitRefreshes(1);
    const start = w.now;
    void tab.restore();
    await flush();
    expect(tab.retryDueAt).toBe(start + 20_000);
    expect(notified).toBe(1);
    w.advance(20_000);
    await flush();
    expect(tab.loggedIn).toBe(true);
    expect(tab.retryDueAt).toBeNull();
  });

  it('at start-up ends in the login page when the retry is refused', async () => {
    const w = world();
    const tab = w.tab();
    w.limitRefreshes(1);
    let restored: boolean | null = null;
    void tab.restore().then((ok) => { restored = ok; });
    await flush();
    w.refuseRefresh();
    w.advance(20_000);
    await flush();
    expect(restored).toBe(false);
    expect(tab.loggedIn).toBe(false);
  });

  it('at start-up takes the token another tab got meanwhile', async () => {
    const w = world();
    const tab = w.tab();
    const other = w.tab();
    w.limitRefreshes(1);
    let restored: boolean | null = null;
    void tab.restore().then((ok) => { restored = ok; });
    await flush();
    other.start({ access_token: 'token-other', expires_in: 900 });
    await flush();
    expect(restored).toBe(true);
    expect(tab.accessToken).toBe('token-other');
  });
});
