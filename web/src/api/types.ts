// Every usage type the signed-in user may see (private datasets' too),
// across as many pages as there are.
import { carbon, type UsageType } from './client';
import { PAGE_LIMIT, readAll, type Pager } from './paging';

const typesPage: Pager<UsageType> = async (offset) => {
  const { data, error, response } = await carbon.GET('/types', { params: { query: { limit: PAGE_LIMIT, offset } } });
  if (error || !data) throw new Error(`loading usage types failed (${response.status})`);
  return { items: data, total: Number(response.headers.get('x-total-count') ?? data.length) };
};

export const allTypes = (): Promise<UsageType[]> => readAll(typesPage);
