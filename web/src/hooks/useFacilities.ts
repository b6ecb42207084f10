import { useCallback, useEffect, useState } from 'react';
import { carbon, type CarbonSchemas } from '../api/client';

export type Facility = CarbonSchemas['Facility'];

/** The organization's facilities, by name (empty until loaded); `reload`
 * after a change. */
export function useFacilities(): { facilities: Facility[]; reload: () => Promise<void> } {
  const [facilities, setFacilities] = useState<Facility[]>([]);
  const reload = useCallback(async () => {
    const { data } = await carbon.GET('/facilities');
    if (data) setFacilities(data);
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { facilities, reload };
}
