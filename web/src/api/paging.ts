// Reading every page of a list the API pages by at most 100: the factor
// library ships several hundred usage types. No I/O of its own, so that it
// is tested without a browser.

export const PAGE_LIMIT = 100;

/** One page, from `offset`, and the total the API reports (`X-Total-Count`). */
export type Pager<T> = (offset: number) => Promise<{ items: T[]; total: number }>;

/** Reads pages until `total` items are in hand (or a page comes back short). */
export async function readAll<T>(page: Pager<T>): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const { items: chunk, total } = await page(items.length);
    items.push(...chunk);
    if (chunk.length < PAGE_LIMIT || items.length >= total) return items;
  }
}
