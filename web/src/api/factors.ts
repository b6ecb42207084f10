// Choosing a factor and a unit for a usage: pure functions over the lists
// the API gives, so that they are tested without a browser.

interface TypeLike {
  id: number;
  name: string;
  unit: string;
  unit_dimension?: string | null;
  category: string;
  region?: string | null;
}

interface DimensionLike {
  dimension: string;
  units: { code: string }[];
}

/** The unit codes a usage of `type` may be entered in: its own unit first,
 * then the others of its dimension (a unit the service does not convert:
 * that unit only). */
export function unitsFor(type: TypeLike | undefined, dimensions: DimensionLike[]): string[] {
  if (!type) return [];
  const dimension = dimensions.find((d) => d.dimension === type.unit_dimension);
  const others = (dimension?.units ?? []).map((u) => u.code).filter((code) => code !== type.unit);
  return [type.unit, ...others];
}

/** The types in `category` (all if empty) whose name, region or id contains
 * every word of `search`, ignoring case. */
export function findTypes<T extends TypeLike>(types: T[], category: string, search: string): T[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return types.filter((t) => {
    if (category && t.category !== category) return false;
    const text = `${t.name} ${t.region ?? ''} ${t.id}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** The categories present, sorted, for a picker. */
export const categoriesOf = (types: TypeLike[]): string[] => [...new Set(types.map((t) => t.category))].sort();

/** `purchased_electricity` → `Purchased electricity`. */
export const categoryLabel = (category: string): string =>
  category.charAt(0).toUpperCase() + category.slice(1).replace(/_/g, ' ');

interface ScopedTypeLike extends TypeLike {
  scope: number;
  retired: boolean;
  illustrative: boolean;
}

/** The electricity and other scope 2 types a facility's bills may use: those
 * of the facility's `region` first, then the others for reporting, the
 * illustrative last; retired ones are left out. */
export function scope2TypesFor<T extends ScopedTypeLike>(types: T[], region: string): T[] {
  const wanted = region.trim().toLowerCase();
  const rank = (t: T) => (wanted && t.region?.toLowerCase() === wanted ? 0 : t.illustrative ? 2 : 1);
  return types.filter((t) => t.scope === 2 && !t.retired).sort((a, b) => rank(a) - rank(b));
}

/** The regions the types name, sorted: suggestions for a region field. */
export const regionsOf = (types: TypeLike[]): string[] =>
  [...new Set(types.flatMap((t) => (t.region ? [t.region] : [])))].sort();
