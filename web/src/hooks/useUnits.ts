import { useEffect, useState } from 'react';
import { publicCarbon, type Dimension } from '../api/client';

/** The units `GET /units` lists, by dimension (empty until loaded or if it fails). */
export function useUnits(): Dimension[] {
  const [dimensions, setDimensions] = useState<Dimension[]>([]);
  useEffect(() => {
    let live = true;
    void publicCarbon.GET('/units').then(({ data }) => {
      if (live && data) setDimensions(data);
    });
    return () => {
      live = false;
    };
  }, []);
  return dimensions;
}
