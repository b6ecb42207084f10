import { useEffect, useState } from 'react';
import { carbon, type CarbonSchemas } from '../api/client';

/** An IPCC assessment report's GWP set, by the id the API takes. */
export type GwpName = CarbonSchemas['GwpName'];
export type GwpSet = { id: GwpName; name: string };
/** Never empty: its first is the default. */
type GwpSets = [GwpSet, ...GwpSet[]];

/** Until GET /gwp-sets answers: the service's default set alone. */
const UNTIL_LOADED: GwpSets = [{ id: 'AR5', name: 'IPCC AR5 (2013), the EPA Hub’s' }];

/** The GWP sets the service weighs gases by (GET /gwp-sets, public), its
 * default first: the one list every picker offers. */
export function useGwpSets(): GwpSets {
  const [sets, setSets] = useState<GwpSets>(UNTIL_LOADED);
  useEffect(() => {
    void carbon.GET('/gwp-sets').then(({ data }) => {
      if (!data?.length) return;
      const [first, ...rest] = [...data].sort((a, b) => Number(b.default) - Number(a.default))
        .map((s) => ({ id: s.id as GwpName, name: s.name }));
      if (first) setSets([first, ...rest]);
    });
  }, []);
  return sets;
}
