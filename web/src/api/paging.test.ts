import { describe, expect, it } from 'vitest';
import { PAGE_LIMIT, readAll, type Pager } from './paging';

/** A fake API with `n` items, counting the pages asked for. */
function api(n: number): { page: Pager<number>; calls: number[] } {
  const calls: number[] = [];
  const page: Pager<number> = async (offset) => {
    calls.push(offset);
    const count = Math.max(0, Math.min(PAGE_LIMIT, n - offset));
    return { items: Array.from({ length: count }, (_, i) => offset + i + 1), total: n };
  };
  return { page, calls };
}

describe('readAll', () => {
  it('reads every page beyond the first 100', async () => {
    const fake = api(250);
    const items = await readAll(fake.page);
    expect(items).toHaveLength(250);
    expect(items.at(-1)).toBe(250);
    expect(fake.calls).toEqual([0, 100, 200]);
  });

  it('stops after one page when that is all there is', async () => {
    const fake = api(5);
    expect(await readAll(fake.page)).toHaveLength(5);
    expect(fake.calls).toEqual([0]);
  });

  it('stops when a page comes back short, whatever the total said', async () => {
    const short: Pager<number> = async (offset) => ({ items: offset === 0 ? [1, 2] : [], total: 1000 });
    expect(await readAll(short)).toEqual([1, 2]);
  });
});
