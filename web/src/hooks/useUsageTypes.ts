import { useCallback, useEffect, useState } from 'react';
import type { UsageType } from '../api/client';
import { allTypes } from '../api/types';

/** Every usage type (all pages), and a way to load them again after a change. */
export function useUsageTypes(): { types: UsageType[]; error: string | null; reload: () => Promise<void> } {
  const [types, setTypes] = useState<UsageType[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setTypes(await allTypes());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'loading usage types failed');
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { types, error, reload };
}
