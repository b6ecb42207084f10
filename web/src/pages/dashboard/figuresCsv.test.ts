import { describe, expect, it } from 'vitest';
import type { Summary } from '../../api/client';
import { FIGURES_HEADER, figuresCsv } from './figuresCsv';

const gases = (co2: number, extra: Record<string, unknown> = {}) =>
  ({ co2, ch4: 0, ch4_fossil: 0, n2o: 0, other_co2e: 0, biogenic_co2: 0, ...extra });

const summary = {
  gwp: 'AR6',
  usage_count: 3,
  total_co2e: 1500.25,
  total_co2e_market_based: 1200,
  by_gas: gases(1500.25, { fgases: { 'HFC-134a': 0.5 } }),
  by_scope: [{ scope: 2, usage_count: 3, co2e: 1500.25, by_gas: gases(1500.25) }],
  scope2: {
    location_based: { co2e: 1500.25, by_gas: gases(1500.25) },
    market_based: { co2e: 1200, by_gas: gases(1200) },
    coverage: [],
  },
  by_scope3_category: [{ category: 4, usage_count: 1, co2e: 10, by_gas: gases(10) }],
  by_type: [{ usage_type_id: 20004, name: 'Electricity, eGRID subregion CAMX (WECC California)', unit: 'MWh',
    total_amount: 3.5, usage_count: 3, co2e: 1500.25, by_gas: gases(1500.25) }],
  by_month: [{ month: '2026-01', usage_count: 3, co2e: 1500.25, by_gas: gases(1500.25), by_type: [] }],
  by_facility: [{ facility_id: null, name: null, usage_count: 3, co2e: 1500.25, by_gas: gases(1500.25) }],
  by_data_quality: [{ data_quality: 'measured', usage_count: 3, co2e: 1500.25, share_percent: 100 }],
} as unknown as Summary;

describe('the dashboard figures as CSV', () => {
  const lines = figuresCsv(summary, 'FY2026').split('\r\n');

  it('starts with the header and ends with a line break', () => {
    expect(lines[0]).toBe(FIGURES_HEADER.join(','));
    expect(lines.at(-1)).toBe('');
  });

  it('gives the totals both ways, unrounded, with the F-gases named', () => {
    expect(lines[1]).toBe('total,location-based,3,1500.25,1500.25,0,0,0,0,HFC-134a 0.5,0,,,FY2026,AR6');
    expect(lines[2]).toBe('total,market-based,,1200,,,,,,,,,,FY2026,AR6');
  });

  it('quotes a name with a comma, and gives a type its amount and unit', () => {
    expect(lines).toContain(
      'usage type,"Electricity, eGRID subregion CAMX (WECC California) (20004)",3,1500.25,1500.25,0,0,0,0,,0,3.5,MWh,FY2026,AR6',
    );
  });

  it('neutralises a name a spreadsheet would run as a formula', () => {
    const named = { ...summary, by_facility: [{ ...summary.by_facility[0], name: '=HYPERLINK("x")' }] } as Summary;
    expect(figuresCsv(named, 'FY2026')).toContain('facility,"\'=HYPERLINK(""x"")",3,');
  });

  it('names scope 3 categories, the usages without a facility, and the data quality', () => {
    expect(lines.some((l) => l.startsWith('scope 3 category,4 Upstream transportation and distribution,1,10,'))).toBe(true);
    expect(lines.some((l) => l.startsWith('facility,(no facility),3,'))).toBe(true);
    expect(lines.some((l) => l.startsWith('data quality,measured,3,1500.25,'))).toBe(true);
  });
});
