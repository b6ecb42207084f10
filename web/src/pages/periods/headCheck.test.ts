import { describe, expect, it } from 'vitest';
import { checkHead } from './headCheck';

const head = { seq: 7, hash: 'a'.repeat(64) };
const chain = { valid: true, head: { seq: 12, hash: 'f'.repeat(64) } };

describe('a lock head checked against the trail', () => {
  it('is intact when the chain verifies and the entry keeps its hash', () => {
    const check = checkHead(head, chain, { seq: 7, hash: 'a'.repeat(64) });
    expect(check.intact).toBe(true);
    expect(check.message).toContain('to #12');
  });

  it('names a changed hash', () => {
    const check = checkHead(head, chain, { seq: 7, hash: 'b'.repeat(64) });
    expect(check).toEqual({ intact: false, message: `Entry #7 has changed: its hash is ${'b'.repeat(12)}…, not ${'a'.repeat(12)}… as recorded at the lock.` });
  });

  it('names a missing entry, and a chain that does not verify', () => {
    expect(checkHead(head, chain, { seq: 6, hash: 'a'.repeat(64) }).message).toBe('Entry #7, recorded at the lock, is not in the trail.');
    expect(checkHead(head, chain, undefined).intact).toBe(false);
    const broken = { valid: false, first_bad: { seq: 3, problem: 'the payload does not match payload_sha256' } };
    expect(checkHead(head, broken, { seq: 7, hash: 'a'.repeat(64) }).message)
      .toBe('The trail does not verify: entry #3, the payload does not match payload_sha256.');
  });
});
