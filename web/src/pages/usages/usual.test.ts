import { describe, expect, it } from 'vitest';
import { unitFor, usualOf } from './usual';

const usage = (type: number, unit: string) => ({ unit, usage_type: { id: type } }) as Parameters<typeof usualOf>[0][number];
const grid = { id: 20000, unit: 'MWh' };
const energy = ['MWh', 'kWh', 'GJ', 'mmBtu', 'therm'];

describe('the usage form\'s defaults', () => {
  it('offer the newest usage\'s type, and each type\'s last unit', () => {
    const usual = usualOf([usage(20000, 'kWh'), usage(10018, 'therm'), usage(20000, 'MWh')]);
    expect(usual.type).toBe(20000);
    expect(usual.units).toEqual({ 20000: 'kWh', 10018: 'therm' });
  });

  it('are nothing for a newcomer', () => {
    expect(usualOf([])).toEqual({ type: undefined, units: {} });
  });

  it('show the unit of the type\'s last bill before the factor\'s', () => {
    expect(unitFor(undefined, usualOf([usage(20000, 'kWh')]), grid, energy)).toBe('kWh');
    expect(unitFor(undefined, usualOf([]), grid, energy)).toBe('MWh');
  });

  it('let a unit chosen in the form win', () => {
    expect(unitFor('GJ', usualOf([usage(20000, 'kWh')]), grid, energy)).toBe('GJ');
  });

  it('skip a unit the type does not take', () => {
    expect(unitFor('gal', usualOf([usage(20000, 'kg')]), grid, energy)).toBe('MWh');
  });
});
