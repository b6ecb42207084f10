import { describe, expect, it } from 'vitest';
import type { UsageType } from '../../api/client';
import { typeBody, typeForm } from './typeBody';

const freight = {
  id: 990001,
  name: 'Freight, own fleet',
  unit: 'short_ton_mi',
  scope: 3,
  category: 'upstream_transportation',
  scope3_category: 4,
  scope3_categories: [4, 9],
  factor: 0.2,
  gwp_basis: 'AR5',
  dataset: 'custom',
  illustrative: false,
  retired: false,
  replaces_type_id: 990000,
  gases: { co2: 0.19, ch4: 0.0001, n2o: 0.00002, biogenic_co2: 0.01, fgases: { 'HFC-134a': 0.000001 } },
  source: 'Carrier invoice data',
  source_year: 2025,
  region: 'US',
} as unknown as UsageType;

describe('the types form', () => {
  it('saving an edit carries over what the form does not show', () => {
    const body = typeBody({ ...typeForm(freight), name: 'Freight, own trucks' }, freight);
    expect(body).toEqual({
      name: 'Freight, own trucks',
      unit: 'short_ton_mi',
      scope: 3,
      category: 'upstream_transportation',
      gases: { co2: 0.19, ch4: 0.0001, n2o: 0.00002, biogenic_co2: 0.01, fgases: { 'HFC-134a': 0.000001 } },
      source: 'Carrier invoice data',
      source_year: 2025,
      region: 'US',
      scope3_category: 4,
      scope3_categories: [4, 9],
      replaces_type_id: 990000,
    });
  });

  it('drops the scope 3 categories when the type moves to another scope', () => {
    const body = typeBody({ ...typeForm(freight), scope: '1' }, freight);
    expect(body.scope3_category).toBeUndefined();
    expect(body.scope3_categories).toBeUndefined();
    expect(body.scope).toBe(1);
  });

  it('sends the CO₂e factor only when no gas is given', () => {
    const blank = { ...typeForm(null), name: 'Heat', unit: 'kWh', factor: '0.2' };
    expect(typeBody(blank, null)).toEqual({ name: 'Heat', unit: 'kWh', scope: 2, factor: 0.2 });
    expect(typeBody({ ...blank, co2: '0.18' }, null)).toEqual({ name: 'Heat', unit: 'kWh', scope: 2, gases: { co2: 0.18 } });
  });

  it('starts a new type blank in scope 2, and shows an uncategorized type without a category', () => {
    expect(typeForm(null)).toMatchObject({ scope: '2', category: '', factor: '' });
    expect(typeForm({ ...freight, category: 'uncategorized' } as UsageType).category).toBe('');
  });
});
