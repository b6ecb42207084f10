import { useCallback, useEffect, useRef, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import {
  can, carbon, claimsOf, confirmPassword, currentOrg, grantable, ORGS_CHANGED, session, summarize, switchOrg, users,
  type Invitation, type Member, type Organization as Org, type OrgRole,
} from '../api/client';
import { Alert, Field, SelectField } from '../components/forms';
import { VerifyPrompt } from '../components/VerifyPrompt';
import { useSubmit } from '../hooks/useSubmit';

const ROLE_NAMES: Record<OrgRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  editor: 'Editor',
  viewer: 'Viewer',
  auditor: 'Auditor',
};

/** Creates an organization and switches this tab to it. */
function CreateOrganization({ first }: { first: boolean }) {
  const navigate = useNavigate();
  const create = useSubmit(async (form) => {
    const { data, error, response } = await users.POST('/orgs', { body: { name: String(form.get('name')) } });
    if (error || !data) return summarize(error, response);
    await switchOrg(data.id);
    navigate('/organization');
    return null;
  });
  return (
    <form onSubmit={create.onSubmit} noValidate aria-labelledby="create-org-title" className="card">
      <h2 id="create-org-title">{first ? 'Create an organization' : 'Create another organization'}</h2>
      <p className="hint">Keep one inventory with colleagues: you become its owner and invite them.</p>
      {create.problem && <Alert>{create.problem.detail}</Alert>}
      <Field label="Organization name" name="name" required error={create.problem?.fields.name} />
      <button type="submit" disabled={create.busy}>Create organization</button>
    </form>
  );
}

/** Renames the organization (owners and admins); the header's switcher
 * reads the names again. */
function RenameOrganization({ org, onRenamed }: { org: Org; onRenamed: (renamed: Org) => void }) {
  const rename = useSubmit(async (form) => {
    const { data, error, response } = await users.PATCH('/orgs/{org_id}', {
      params: { path: { org_id: org.id } },
      body: { name: String(form.get('name') ?? '') },
    });
    if (error || !data) return summarize(error, response);
    onRenamed(data);
    window.dispatchEvent(new Event(ORGS_CHANGED));
    return null;
  });
  return (
    <form onSubmit={rename.onSubmit} noValidate aria-labelledby="rename-title" className="card">
      <h2 id="rename-title">Rename the organization</h2>
      {rename.problem && <Alert>{rename.problem.detail}</Alert>}
      <Field label="New name" name="name" required defaultValue={org.name} error={rename.problem?.fields.name} />
      <button type="submit" disabled={rename.busy}>Rename</button>
    </form>
  );
}

/** The organization this tab acts in: its members, invitations and the
 * organizations to create. What the role may not do is not shown (and
 * the services refuse it). */
export function Organization() {
  const navigate = useNavigate();
  const here = currentOrg();
  const me = claimsOf(session.accessToken).sub;
  const [org, setOrg] = useState<Org | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const manages = can('manage_members', org?.role ?? here.role);
  const readsInvitations = can('read_audit', org?.role ?? here.role);

  const load = useCallback(async () => {
    if (!here.id) return;
    const path = { org_id: here.id };
    const found = await users.GET('/orgs/{org_id}', { params: { path } });
    if (found.error || !found.data) {
      setError(summarize(found.error, found.response).detail);
      return;
    }
    setOrg(found.data);
    if (found.data.personal) return;
    const listed = await users.GET('/orgs/{org_id}/members', { params: { path } });
    if (listed.data) setMembers(listed.data);
    if (can('read_audit', found.data.role)) {
      const pending = await users.GET('/orgs/{org_id}/invitations', { params: { path } });
      if (pending.data) setInvitations(pending.data);
    }
  }, [here.id]);
  useEffect(() => {
    void load();
  }, [load]);

  const invite = useSubmit(async (form, element) => {
    if (!here.id) return null;
    const email = String(form.get('email')).trim();
    const role = String(form.get('role')) as OrgRole;
    const { error, response } = await users.POST('/orgs/{org_id}/invitations', {
      params: { path: { org_id: here.id } },
      body: { email, role },
    });
    if (error) return summarize(error, response);
    element.reset();
    await load();
    setNotice(`${email} is invited as ${ROLE_NAMES[role].toLowerCase()}; the invitation is in their mail.`);
    return null;
  });

  async function changeRole(member: Member, role: OrgRole) {
    if (!here.id) return;
    const { error, response } = await users.PATCH('/orgs/{org_id}/members/{user_id}', {
      params: { path: { org_id: here.id, user_id: member.user_id } },
      body: { role },
    });
    setError(error ? summarize(error, response).detail : null);
    await load();
    if (!error) setNotice(`${member.email} is now ${ROLE_NAMES[role].toLowerCase()} (from their next token refresh).`);
  }

  async function remove(member: Member) {
    if (!here.id) return;
    const leaving = member.user_id === me;
    const question = leaving ? `Leave ${org?.name ?? 'this organization'}?` : `Remove ${member.email}?`;
    if (!window.confirm(question)) return;
    const { error, response } = await users.DELETE('/orgs/{org_id}/members/{user_id}', {
      params: { path: { org_id: here.id, user_id: member.user_id } },
    });
    if (error) {
      setError(summarize(error, response).detail);
      return;
    }
    if (leaving && me) {
      await switchOrg(me);
      navigate('/');
      return;
    }
    await load();
    setNotice(`${member.email} was removed.`);
  }

  async function revoke(invitation: Invitation) {
    if (!here.id) return;
    const { error, response } = await users.DELETE('/orgs/{org_id}/invitations/{id}', {
      params: { path: { org_id: here.id, id: invitation.id } },
    });
    setError(error ? summarize(error, response).detail : null);
    await load();
  }

  const destroy = useSubmit(async (form) => {
    if (!here.id || !org) return null;
    const wrong = await confirmPassword(String(form.get('current_password')));
    if (wrong) return { detail: wrong, fields: { current_password: wrong }, status: 400 };
    // The data first (carbon-service never hears of the deletion), then
    // the organization.
    const erased = await carbon.DELETE('/org', { params: { query: { confirm: true } } });
    if (erased.error) return summarize(erased.error, erased.response);
    const { error, response } = await users.DELETE('/orgs/{org_id}', { params: { path: { org_id: org.id } } });
    if (error) return summarize(error, response);
    if (me) await switchOrg(me);
    navigate('/');
    return null;
  });

  if (!org) return error ? <Alert>{error}</Alert> : <p role="status">Loading…</p>;

  return (
    <section>
      <h1>{org.personal ? 'Your personal inventory' : org.name}</h1>
      {notice && <Alert kind="info">{notice}</Alert>}
      {error && <Alert>{error}</Alert>}
      {org.personal ? (
        <p>Only you see and record the usages here. It has no other members.</p>
      ) : (
        <>
          <p>You are <strong>{ROLE_NAMES[org.role].toLowerCase()}</strong> here ({org.members} members).</p>
          <div className="table-scroll">
            <table className="members" data-testid="members-table">
              <caption>Members</caption>
              <thead>
                <tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col" className="actions"><span className="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {members.map((m) => {
                  const self = m.user_id === me;
                  const mayChange = manages && !self && grantable(org.role).includes(m.role);
                  return (
                    <tr key={m.user_id}>
                      <td>{m.email}{self ? ' (you)' : ''}</td>
                      <td>
                        {mayChange ? (
                          <select aria-label={`Role of ${m.email}`} value={m.role}
                            onChange={(e) => void changeRole(m, e.target.value as OrgRole)}>
                            {grantable(org.role).map((r) => <option key={r} value={r}>{ROLE_NAMES[r]}</option>)}
                          </select>
                        ) : ROLE_NAMES[m.role]}
                      </td>
                      <td className="actions">
                        {(self || mayChange) && (
                          <button type="button" className="secondary" onClick={() => void remove(m)}
                            aria-label={self ? 'Leave the organization' : `Remove ${m.email}`}>{self ? 'Leave' : 'Remove'}</button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>

          {manages && (
            <form onSubmit={invite.onSubmit} noValidate aria-labelledby="invite-title" className="card">
              <h2 id="invite-title">Invite someone</h2>
              {invite.problem && <Alert>{invite.problem.detail}</Alert>}
              <Field label="Their email" name="email" type="email" required error={invite.problem?.fields.email} />
              <SelectField label="Role" name="role" defaultValue="editor" error={invite.problem?.fields.role}>
                {grantable(org.role).map((r) => <option key={r} value={r}>{ROLE_NAMES[r]}</option>)}
              </SelectField>
              <p className="hint">Editors record usages; viewers and auditors read; admins also manage members and instruments.</p>
              <button type="submit" disabled={invite.busy}>Send invitation</button>
            </form>
          )}

          {readsInvitations && (
            invitations.length === 0 ? <p>No pending invitations.</p> : (
              <div className="table-scroll">
                <table className="members" data-testid="invitations-table">
                  <caption>Pending invitations</caption>
                  <thead>
                    <tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Expires</th><th scope="col" className="actions"><span className="visually-hidden">Actions</span></th></tr>
                  </thead>
                  <tbody>
                    {invitations.map((i) => (
                      <tr key={i.id}>
                        <td>{i.email}</td>
                        <td>{ROLE_NAMES[i.role]}</td>
                        <td>{new Date(i.expires_at).toLocaleDateString()}</td>
                        <td className="actions">
                          {manages && grantable(org.role).includes(i.role) && (
                            <button type="button" className="secondary" onClick={() => void revoke(i)}
                              aria-label={`Revoke the invitation of ${i.email}`}>Revoke</button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          )}

          {manages && <RenameOrganization org={org} onRenamed={(renamed) => {
            setOrg(renamed);
            setNotice(`The organization is now called ${renamed.name}.`);
          }} />}

          {can('delete_organization', org.role) && (
            <form onSubmit={destroy.onSubmit} noValidate aria-labelledby="delete-org-title" className="card">
              <h2 id="delete-org-title">Delete the organization</h2>
              <p>This checks your password, erases every usage and instrument of {org.name}, then the organization and its memberships. It cannot be undone.</p>
              {destroy.problem && <Alert>{destroy.problem.detail}</Alert>}
              <Field label="Your password (to delete)" name="current_password" type="password" autoComplete="current-password"
                required error={destroy.problem?.fields.current_password} />
              <button type="submit" className="danger" disabled={destroy.busy}>Delete {org.name} and its data</button>
            </form>
          )}
        </>
      )}
      <CreateOrganization first={org.personal} />
    </section>
  );
}

/** The mailed link: joins the organization, then acts in it (on the
 * welcome page: switching remounts the pages, and the token works once). */
export function AcceptInvitation() {
  const navigate = useNavigate();
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [problem, setProblem] = useState<string | null>(null);
  // Joining needs a verified address: the page offers the mail that verifies it.
  const [unverified, setUnverified] = useState<string | null>(null);
  // A token works once: accepted once, even where effects run twice (development).
  const tried = useRef(false);
  useEffect(() => {
    if (!token) {
      setProblem('This link has no invitation token: open the link from the mail again.');
      return;
    }
    if (tried.current) return;
    tried.current = true;
    void users.POST('/invitations/accept', { body: { token } }).then(async ({ data, error, response }) => {
      if (error || !data) {
        setProblem(summarize(error, response).detail);
        if (response.status === 403) {
          const me = await users.GET('/users/me');
          if (me.data && !me.data.is_verified) setUnverified(me.data.email);
        }
        return;
      }
      navigate('/joined', { replace: true, state: { name: data.name, role: data.role } });
      await switchOrg(data.id);
    });
  }, [token, navigate]);
  if (!problem) return <p role="status">Accepting the invitation…</p>;
  return (
    <section className="narrow">
      <h1>Invitation</h1>
      {unverified ? (
        <VerifyPrompt email={unverified}
          why={`Joining needs a verified address, and ${unverified} is not verified yet. Send yourself the verification mail, open its link, then open this invitation link again.`} />
      ) : <Alert>{problem}</Alert>}
    </section>
  );
}

/** After joining: where the new member goes next. */
export function Joined() {
  const navigate = useNavigate();
  const location = useLocation();
  const joined = location.state as { name?: string; role?: OrgRole } | null;
  if (!joined?.name || !joined.role) return <Navigate to="/organization" replace />;
  return (
    <section className="narrow">
      <h1>Welcome to {joined.name}</h1>
      <Alert kind="info">You joined {joined.name} as {ROLE_NAMES[joined.role].toLowerCase()}.</Alert>
      <p><button type="button" onClick={() => navigate('/usages')}>Go to its usages</button></p>
    </section>
  );
}
