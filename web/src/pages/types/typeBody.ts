// The body of `POST /types` and `PUT /types/{id}` from the types form. A PUT
// replaces every field, so an edit carries over what the form does not
// show (the scope 3 categories, the factor basis, the type it replaces,
// the gases beyond CO₂, CH₄ and N₂O): saving a new name must not drop them.
import type { CarbonSchemas, UsageType } from '../../api/client';

export type TypeFields = CarbonSchemas['UsageTypeFields'];
type Gases = NonNullable<TypeFields['gases']>;

/** The form's fields, as typed. */
export interface TypeForm {
  name: string;
  unit: string;
  scope: string;
  category: string;
  co2: string;
  ch4: string;
  n2o: string;
  factor: string;
  source: string;
  source_year: string;
  region: string;
}

const number = (text: string) => (text.trim() === '' ? undefined : Number(text));
const dropUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The gases of `type` the form does not show, as an input takes them. */
function unshownGases(type: UsageType | null): Gases {
  const g = type?.gases;
  if (!g) return {};
  return dropUndefined({
    ch4_fossil: g.ch4_fossil,
    biogenic_co2: g.biogenic_co2,
    fgases: g.fgases && Object.keys(g.fgases).length > 0 ? g.fgases : undefined,
  });
}

/** The fields to send: the form's, and, editing, the type's others. The
 * factor goes only without gases (the service computes it from them). */
export function typeBody(form: TypeForm, editing: UsageType | null): TypeFields {
  const gases: Gases = dropUndefined({
    ...unshownGases(editing),
    co2: number(form.co2),
    ch4: number(form.ch4),
    n2o: number(form.n2o),
  });
  const hasGases = Object.keys(gases).length > 0;
  const text = (v: string) => v.trim() || undefined;
  const scope = Number(form.scope);
  // What belongs to one scope goes when the type moves to another.
  const of = <T,>(only: number, value: T) => (scope === only ? value : undefined);
  return dropUndefined({
    name: form.name.trim(),
    unit: form.unit.trim(),
    scope,
    category: text(form.category),
    gases: hasGases ? gases : undefined,
    factor: hasGases ? undefined : number(form.factor),
    source: text(form.source),
    source_year: number(form.source_year),
    region: text(form.region),
    scope3_category: of(3, editing?.scope3_category),
    scope3_categories: of(3, editing?.scope3_categories),
    factor_basis: of(2, editing?.factor_basis),
    replaces_type_id: editing?.replaces_type_id,
  });
}

/** The form's starting values: the type being edited, else a blank scope 2 type. */
export function typeForm(type: UsageType | null): TypeForm {
  const text = (v: number | string | null | undefined) => (v === undefined || v === null ? '' : String(v));
  return {
    name: text(type?.name),
    unit: text(type?.unit),
    scope: text(type?.scope ?? 2),
    category: type && type.category !== 'uncategorized' ? type.category : '',
    co2: text(type?.gases?.co2),
    ch4: text(type?.gases?.ch4),
    n2o: text(type?.gases?.n2o),
    factor: text(type?.factor),
    source: text(type?.source),
    source_year: text(type?.source_year),
    region: text(type?.region),
  };
}
