// Every usage type, across as many pages as there are.
import { publicCarbon, type UsageType } from './client';
import { PAGE_LIMIT, readAll, type Pager } from './paging';

const typesPage: Pager<UsageType> = async (offset) => {
  const { data, error, response } = await publicCarbon.GET('/types', { params: { query: { limit: PAGE_LIMIT, offset } } });
  if (error || !data) throw new Error(`loading usage types failed (${response.status})`);
  return { items: data, total: Number(response.headers.get('x-total-count') ?? data.length) };
};

export const allTypes = (): Promise<UsageType[]> => readAll(typesPage);
