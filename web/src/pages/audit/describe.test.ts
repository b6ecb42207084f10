import { describe, expect, it } from 'vitest';
import { changed, headerOf, otherActors, what, who, type Entry } from './describe';

const ME = '11111111-1111-4111-8111-111111111111';
const EDITOR = '22222222-2222-4222-8222-222222222222';
const FORMER = '33333333-3333-4333-8333-333333333333';
const names = new Map([[EDITOR, 'editor@example.com'], [ME, 'owner@example.com']]);

function entry(seq: number, header: Record<string, unknown>, payload: unknown): Entry {
  return { seq, header, payload, hash: '', prev: '', payload_sha256: '' } as unknown as Entry;
}
const by = (user_id: string) => ({ user_id, role: 'owner', superuser: false });

describe('an audit entry for its reader', () => {
  it('names the reader "you", a member by email, anyone else by the start of the id', () => {
    expect(who(ME, names, ME)).toBe('you');
    expect(who(EDITOR, names, ME)).toBe('editor@example.com');
    expect(who(FORMER, names, ME)).toBe('33333333…');
  });

  it('lists the fields an update changed, naming members in their values', () => {
    const update = entry(7, {}, {
      before: { user_id: EDITOR, role: 'viewer', version: 1 },
      after: { user_id: EDITOR, role: 'editor', version: 2 },
    });
    expect(changed(update, names)).toBe('role: viewer → editor');
  });

  it('shows what a create made, without its id', () => {
    const join = entry(8, {}, { after: { id: 'x', user_id: EDITOR, role: 'editor' } });
    expect(changed(join, names)).toBe('user_id: editor@example.com; role: editor');
  });

  it('shows what a usage or an instrument is, how much and when', () => {
    const usage = entry(11, { entity: 'usage' }, { after: {
      id: 'u', usage_type_id: 20000, dataset: 'epa-ghg-hub-2025', amount: 12500, unit: 'kWh',
      usage_at: '2026-11-01T08:00:00.000Z', scope3_category: null, co2e: 4395.53, version: 1,
    } });
    expect(changed(usage, names)).toBe('usage_type_id: 20000; amount: 12500; unit: kWh; usage_at: 2026-11-01T08:00:00.000Z; co2e: 4395.53');
    const rec = entry(12, { entity: 'instrument' }, { after: {
      id: 'i', kind: 'certificate', scheme: 'REC', region: 'US', from: '2026-01-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z', amount: 7500, unit: 'kWh', gases: { co2: 0 }, reference: null,
    } });
    expect(changed(rec, names)).toBe('scheme: REC; region: US; from: 2026-01-01T00:00:00.000Z; to: 2027-01-01T00:00:00.000Z; amount: 7500; unit: kWh');
  });

  it('counts an import\'s rows, one row in the singular', () => {
    expect(changed(entry(13, { entity: 'usage_import' }, { rows: 1 }), names)).toBe('1 row');
    expect(changed(entry(14, { entity: 'usage_import' }, { rows: 2 }), names)).toBe('2 rows');
  });

  it('says nothing of a redacted payload, and "deleted" of a delete', () => {
    expect(changed(entry(9, {}, null), names)).toBe('');
    expect(changed(entry(10, {}, { before: { role: 'viewer' } }), names)).toBe('deleted');
  });

  it('names the member a membership entry is about', () => {
    const header = { at: '', actor: null, action: 'update', entity: 'membership', entity_id: EDITOR };
    expect(what(header, names)).toBe('update membership editor@example.com');
    expect(what({ ...header, entity: 'usage_import', entity_id: 'abc' }, names)).toBe('update usage import');
  });

  it('offers the actors who are neither the reader nor a member, once each', () => {
    const newest = entry(3, { actor: by(FORMER) }, null);
    const entries = [
      newest,
      entry(2, { actor: by(EDITOR) }, null),
      entry(1, { actor: by(FORMER) }, null),
      entry(0, { actor: null }, null),
      entry(4, { actor: by(ME) }, null),
    ];
    expect(otherActors(entries, names, ME).map((a) => a.user_id)).toEqual([FORMER]);
    expect(headerOf(newest).actor?.user_id).toBe(FORMER);
  });
});
