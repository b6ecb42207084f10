import { lazy, Suspense, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Link, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { can, currentOrg, isSuperuser, logOut, LOGOUT_FAILED, mayBeSignedIn, ORGS_CHANGED, session, switchOrg, users, type Organization as Org } from './api/client';
import { ForgotPassword, Login, Register, ResetPassword, VerifyEmail } from './pages/Auth';
import { Account } from './pages/Account';
import { Audit } from './pages/Audit';
import { Facilities } from './pages/Facilities';
import { AcceptInvitation, Joined, Organization } from './pages/Organization';
import { Periods } from './pages/Periods';
import { Usages } from './pages/Usages';

// The charts are the heaviest code: loaded only when the dashboard opens.
const Dashboard = lazy(() => import('./pages/Dashboard'));
const Instruments = lazy(() => import('./pages/Instruments'));
const Datasets = lazy(() => import('./pages/Datasets'));
// Superusers' pages: most sessions never load them.
const UsageTypes = lazy(() => import('./pages/UsageTypes'));
const Users = lazy(() => import('./pages/Users'));

function useLoggedIn(): boolean {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.loggedIn,
  );
}

/** Tries the refresh cookie at start-up (a reload keeps you logged in, a
 * burst of reloads too: a rate-limited refresh is waited out). */
function useSessionRestored(): boolean {
  const [restored, setRestored] = useState(session.loggedIn);
  useEffect(() => {
    if (restored) return;
    // Never signed in here (or signed out since): nothing to restore.
    if (!mayBeSignedIn()) setRestored(true);
    else void session.restore().finally(() => setRestored(true));
  }, [restored]);
  return restored;
}

/** What a reload shows while the session comes back: a burst of reloads
 * meets the refresh limit, and then says how long the wait is. */
function Restoring() {
  const due = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.retryDueAt,
  );
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (due === null) return;
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(tick);
  }, [due]);
  if (due === null) return <p className="loading" role="status">Loading…</p>;
  const seconds = Math.max(1, Math.ceil((due - now) / 1000));
  // The countdown is not in the live region: it would be read out every second.
  return (
    <div className="loading">
      <p role="status">
        This login was refreshed many times in the last minute (each reload and each new tab
        refreshes it), so signing you back in waits a little.
      </p>
      <p aria-hidden="true" data-testid="restore-countdown">Trying again in {seconds} s.</p>
    </div>
  );
}

/** The organization this tab acts in (changes with its token). */
function useActingOrg(): string | null {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => currentOrg().id,
  );
}

/** Which organization this tab acts in: the personal one first. */
function OrgSwitcher() {
  const acting = useActingOrg();
  const [orgs, setOrgs] = useState<Org[]>([]);
  const location = useLocation();
  useEffect(() => {
    const read = () => void users.GET('/orgs').then(({ data }) => setOrgs(data ?? []));
    read();
    // Again after joining or creating one (those pages switch the tab), and after a rename.
    window.addEventListener(ORGS_CHANGED, read);
    return () => window.removeEventListener(ORGS_CHANGED, read);
  }, [acting, location.pathname]);
  if (orgs.length < 2) return null;
  return (
    <label className="org-switcher">
      <span className="visually-hidden">Organization</span>
      <select value={acting ?? ''} onChange={(e) => void switchOrg(e.target.value)}>
        {orgs.map((o) => (
          <option key={o.id} value={o.id}>{o.personal ? 'Personal' : `${o.name} (${o.role})`}</option>
        ))}
      </select>
    </label>
  );
}

function RequireLogin({ children }: { children: ReactNode }) {
  const loggedIn = useLoggedIn();
  const location = useLocation();
  // The query too: an invitation link carries its token there.
  if (!loggedIn) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function Shell({ children }: { children: ReactNode }) {
  const loggedIn = useLoggedIn();
  const navigate = useNavigate();
  async function leave() {
    const done = await logOut(false);
    navigate('/login', { state: done ? null : { notice: LOGOUT_FAILED } });
  }
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link to="/" className="brand">Carbon footprint</Link>
        {loggedIn && <OrgSwitcher />}
        <nav aria-label="Main">
          {loggedIn ? (
            <ul>
              <li><NavLink to="/" end>Dashboard</NavLink></li>
              <li><NavLink to="/usages">Usages</NavLink></li>
              <li><NavLink to="/instruments">Instruments</NavLink></li>
              <li><NavLink to="/facilities">Facilities</NavLink></li>
              <li><NavLink to="/datasets">Factors</NavLink></li>
              <li><NavLink to="/periods">Periods</NavLink></li>
              {can('read_audit') && <li><NavLink to="/audit">Audit</NavLink></li>}
              <li><NavLink to="/organization">Organization</NavLink></li>
              {isSuperuser() && <li><NavLink to="/types">Usage types</NavLink></li>}
              {isSuperuser() && <li><NavLink to="/users">Users</NavLink></li>}
              <li><NavLink to="/account">Account</NavLink></li>
              <li><button type="button" className="link" onClick={() => void leave()}>Log out</button></li>
            </ul>
          ) : (
            <ul>
              <li><NavLink to="/login">Log in</NavLink></li>
              <li><NavLink to="/register">Sign up</NavLink></li>
            </ul>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}

export function App() {
  const restored = useSessionRestored();
  if (!restored) return <Restoring />;
  const guarded = (page: ReactNode) => <RequireLogin>{page}</RequireLogin>;
  return (
    <Shell>
      <Suspense fallback={<p role="status">Loading…</p>}>
        <OrgRoutes guarded={guarded} />
      </Suspense>
    </Shell>
  );
}

/** The pages, mounted afresh when the tab switches organization: every
 * page then loads the new organization's data. */
function OrgRoutes({ guarded }: { guarded: (page: ReactNode) => ReactNode }) {
  const acting = useActingOrg();
  return (
        <Routes key={acting ?? 'none'}>
          <Route path="/login" element={<Login />} />
          <Route path="/register" element={<Register />} />
          <Route path="/forgot-password" element={<ForgotPassword />} />
          <Route path="/reset-password" element={<ResetPassword />} />
          <Route path="/verify-email" element={<VerifyEmail />} />
          <Route path="/" element={guarded(<Dashboard />)} />
          <Route path="/usages" element={guarded(<Usages />)} />
          <Route path="/instruments" element={guarded(<Instruments />)} />
          <Route path="/account" element={guarded(<Account />)} />
          <Route path="/organization" element={guarded(<Organization />)} />
          <Route path="/facilities" element={guarded(<Facilities />)} />
          <Route path="/datasets" element={guarded(<Datasets />)} />
          <Route path="/periods" element={guarded(<Periods />)} />
          <Route path="/audit" element={guarded(<Audit />)} />
          <Route path="/accept-invitation" element={guarded(<AcceptInvitation />)} />
          <Route path="/joined" element={guarded(<Joined />)} />
          <Route path="/types" element={guarded(<UsageTypes />)} />
          <Route path="/users" element={guarded(<Users />)} />
          <Route path="*" element={<NotFound />} />
        </Routes>
  );
}

/** A mistyped or stale address: says which, and the way back. */
function NotFound() {
  const { pathname } = useLocation();
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page at <code>{pathname}</code>.</p>
      <p><Link to="/">Go to your footprint</Link></p>
    </section>
  );
}
