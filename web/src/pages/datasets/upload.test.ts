import { describe, expect, it } from 'vitest';
import { uploadQuery, uploadTemplate } from './upload';

describe('a dataset upload', () => {
  it('sends the metadata trimmed, leaving out the blank optional fields', () => {
    const form: Record<string, string> = {
      id: ' acme-2026 ', name: 'ACME supplier factors', publisher: 'ACME', edition: '2026', licence: 'Confidential',
      gwp_basis: 'AR5', published: '', url: ' ', notes: 'From the 2026 supplier declaration',
    };
    expect(uploadQuery((name) => form[name] ?? '')).toEqual({
      id: 'acme-2026', name: 'ACME supplier factors', publisher: 'ACME', edition: '2026', licence: 'Confidential',
      gwp_basis: 'AR5', notes: 'From the 2026 supplier declaration',
    });
  });

  it('has a superuser give type ids, and an organization not', () => {
    expect(uploadTemplate(true).startsWith('id,name,unit,scope,co2,ch4,n2o,')).toBe(true);
    expect(uploadTemplate(false).startsWith('name,unit,scope,co2,ch4,n2o,')).toBe(true);
    expect(uploadTemplate(false).endsWith('\r\n')).toBe(true);
  });
});
