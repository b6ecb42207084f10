import { describe, expect, it } from 'vitest';
import { categoriesOf, categoryLabel, findTypes, regionsOf, scope2TypesFor, unitsFor } from './factors';

const energy = { dimension: 'energy', units: [{ code: 'kWh' }, { code: 'MWh' }, { code: 'therm' }] };
const volume = { dimension: 'volume', units: [{ code: 'l' }, { code: 'gal' }] };
const grid = { id: 20000, name: 'Electricity, US average grid', unit: 'MWh', unit_dimension: 'energy', category: 'purchased_electricity', region: 'US' };
const rfc = { id: 20019, name: 'Electricity, eGRID subregion RFCE', unit: 'MWh', unit_dimension: 'energy', category: 'purchased_electricity', region: 'RFCE' };
const gas = { id: 10018, name: 'Natural Gas, stationary combustion (by energy)', unit: 'mmBtu', unit_dimension: 'energy', category: 'stationary_combustion', region: 'US' };
const hotel = { id: 7, name: 'Hotel stay', unit: 'night', category: 'business_travel' };

describe('unitsFor', () => {
  it('offers the type’s own unit first, then the rest of its dimension', () => {
    expect(unitsFor(grid, [volume, energy])).toEqual(['MWh', 'kWh', 'therm']);
  });

  it('offers only the type’s unit when the service does not convert it', () => {
    expect(unitsFor(hotel, [energy, volume])).toEqual(['night']);
  });

  it('offers nothing without a type', () => {
    expect(unitsFor(undefined, [energy])).toEqual([]);
  });
});

describe('findTypes', () => {
  const types = [grid, rfc, gas, hotel];

  it('keeps a category’s types only', () => {
    expect(findTypes(types, 'purchased_electricity', '').map((t) => t.id)).toEqual([20000, 20019]);
  });

  it('matches every word of the search in the name, region or id, ignoring case', () => {
    expect(findTypes(types, '', 'electricity us').map((t) => t.id)).toEqual([20000]);
    expect(findTypes(types, '', 'RFCE').map((t) => t.id)).toEqual([20019]);
    expect(findTypes(types, '', '10018').map((t) => t.id)).toEqual([10018]);
  });

  it('finds nothing for a search no type matches', () => {
    expect(findTypes(types, 'stationary_combustion', 'electricity')).toEqual([]);
  });
});

describe('categories', () => {
  it('lists each category once, sorted, with a readable label', () => {
    expect(categoriesOf([grid, gas, rfc, hotel])).toEqual(['business_travel', 'purchased_electricity', 'stationary_combustion']);
    expect(categoryLabel('purchased_electricity')).toBe('Purchased electricity');
  });
});

describe('scope2TypesFor', () => {
  const scoped = (id: number, region: string | null, extra: { scope?: number; retired?: boolean; illustrative?: boolean } = {}) => ({
    id, name: `type ${id}`, unit: 'MWh', category: 'purchased_electricity', region,
    scope: extra.scope ?? 2, retired: extra.retired ?? false, illustrative: extra.illustrative ?? false,
  });
  const types = [
    scoped(100, null, { illustrative: true }),
    scoped(10018, 'US', { scope: 1 }),
    scoped(20000, 'US'),
    scoped(20004, 'US-eGRID-CAMX'),
    scoped(20099, 'US-eGRID-CAMX', { retired: true }),
  ];

  it('offers the facility region’s types first, then the others, the illustrative last', () => {
    expect(scope2TypesFor(types, 'us-egrid-camx ').map((t) => t.id)).toEqual([20004, 20000, 100]);
  });

  it('leaves out other scopes and retired types, and keeps the list’s order without a region', () => {
    expect(scope2TypesFor(types, '').map((t) => t.id)).toEqual([20000, 20004, 100]);
  });
});

describe('regionsOf', () => {
  it('lists each region once, sorted, and skips types without one', () => {
    expect(regionsOf([grid, rfc, gas, hotel])).toEqual(['RFCE', 'US']);
  });
});
