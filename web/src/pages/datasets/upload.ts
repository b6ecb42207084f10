// A dataset upload from the page's form: the metadata as the query of
// `POST /datasets`, and the template of the CSV body. No browser
// dependencies: unit-tested in node.

import type { GwpName } from '../../hooks/useGwpSets';

/** The upload's metadata, as `POST /datasets` takes it in its query. */
export interface UploadQuery {
  id: string;
  name: string;
  publisher: string;
  edition: string;
  licence: string;
  gwp_basis: GwpName;
  published?: string;
  url?: string;
  notes?: string;
}

/** The query from the form's fields: trimmed, the optional ones left out when blank. */
export function uploadQuery(field: (name: keyof UploadQuery) => string): UploadQuery {
  const text = (name: keyof UploadQuery) => field(name).trim();
  const optional = (name: keyof UploadQuery) => text(name) || undefined;
  const query: UploadQuery = {
    id: text('id'),
    name: text('name'),
    publisher: text('publisher'),
    edition: text('edition'),
    licence: text('licence'),
    gwp_basis: text('gwp_basis') as GwpName,
    published: optional('published'),
    url: optional('url'),
    notes: optional('notes'),
  };
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as unknown as UploadQuery;
}

/** The CSV's header: a superuser gives each type's id; an organization's
 * types get theirs from the service (an `id` column would be ignored). */
export function uploadTemplate(givesIds: boolean): string {
  const columns = ['name', 'unit', 'scope', 'co2', 'ch4', 'n2o', 'category', 'scope3_category', 'region', 'source', 'source_year'];
  return `${(givesIds ? ['id', ...columns] : columns).join(',')}\r\n`;
}
