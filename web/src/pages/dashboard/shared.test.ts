import { describe, expect, it } from 'vitest';
import { formatFigure } from '../../components/forms';
import { axisLabel, kgTick } from './shared';

describe('the dashboard\'s figures', () => {
  it('group thousands and keep at most two decimals', () => {
    expect(formatFigure(61728.3456)).toBe('61,728.35');
    expect(formatFigure(0.0489318)).toBe('0.05');
    expect(kgTick(80000)).toBe('80,000 kg');
  });

  it('put a long type name on one line of an axis', () => {
    expect(axisLabel('Electricity, US average grid (MWh)')).toBe('Electricity, US avera…');
    expect(axisLabel('electricity (kWh)')).toBe('electricity (kWh)');
  });
});
