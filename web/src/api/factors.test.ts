import { describe, expect, it } from 'vitest';
import { categoriesOf, categoryLabel, findTypes, unitsFor } from './factors';

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
