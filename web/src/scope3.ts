/** The 15 categories of the GHG Protocol Corporate Value Chain (Scope 3)
 * Standard (2011), chapter 5. */
export const SCOPE3_CATEGORIES: Record<number, string> = {
  1: '1 Purchased goods and services',
  2: '2 Capital goods',
  3: '3 Fuel- and energy-related activities',
  4: '4 Upstream transportation and distribution',
  5: '5 Waste generated in operations',
  6: '6 Business travel',
  7: '7 Employee commuting',
  8: '8 Upstream leased assets',
  9: '9 Downstream transportation and distribution',
  10: '10 Processing of sold products',
  11: '11 Use of sold products',
  12: '12 End-of-life treatment of sold products',
  13: '13 Downstream leased assets',
  14: '14 Franchises',
  15: '15 Investments',
};
