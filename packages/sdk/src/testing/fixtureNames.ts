/**
 * The cast of the fixtures: the team that acts in them and the record names (contacts, releases, products,
 * tags, cities) the scenarios draw from. Public through fixtures.ts, so a host app's demo records can match
 * the entity labels of generated entries. The generator picks by index: reordering or adding a name changes
 * every seeded data set (tests, benchmarks and the demo depend on them).
 */

/** A team member who appears as an actor. */
export interface FixtureUser {
  id: string;
  name: string;
}

/** The default team: an owner, staff and a new hire. */
export const FIXTURE_USERS: FixtureUser[] = [
  { id: 'usr_riley', name: 'Riley Park' },
  { id: 'usr_jordan', name: 'Jordan Lee' },
  { id: 'usr_sam', name: 'Sam Ortiz' },
  { id: 'usr_priya', name: 'Priya Nair' },
  { id: 'usr_casey', name: 'Casey Morgan' },
];

// The lists the generator draws from; FIXTURE_NAMES below is their public, read-only view.
export const CONTACTS = [
  'Alex Chen',
  'Maria Gonzalez',
  'Zoë Müller',
  "Dan O'Brien",
  'Aiko Tanaka',
  'Noah Williams',
  'Fatima Khan',
  'Luca Rossi',
  'Grace Kim',
  'Omar Haddad',
  'Emma Dubois',
  'Kwame Mensah',
  'Sofia Lindqvist',
  'Ben Carter',
  'Isabella Costa',
  'Hiro Sato',
  'Chloe Martin',
  'Mateo Silva',
  'Ava Thompson',
  'Ravi Patel',
  'Nora Jensen',
  'Leo Nakamura',
  'Olivia Brown',
  'Jonas Weber',
  'Mia Fernández',
  'Samir Aziz',
  'Hannah Schmidt',
  'Ethan Wright',
  'Lucía Romero',
  'Tom Fischer',
  'Amara Obi',
  'Felix Wagner',
  'Yuna Park',
  'Diego Alvarez',
  'Ella Novak',
  'Marcus Reed',
  'Sara Cohen',
  'Pierre Laurent',
  'Anya Volkova',
  'Jack Murphy',
];
export const RELEASES = [
  'Spring 2026 Reds',
  'Summer Rosé 2026',
  'Holiday Collection 2025',
  'Winter Whites 2026',
  "Founders' Reserve Q1",
  'Harvest Club Autumn 2025',
];
export const PRODUCTS = [
  '2021 Cabernet Sauvignon',
  '2023 Sauvignon Blanc',
  '2022 Pinot Noir Reserve',
  'Sparkling Brut NV',
  '2020 Syrah',
  '2022 Chardonnay Estate',
  '2019 Zinfandel Old Vine',
  '2023 Grenache Rosé',
  '2021 Merlot',
  'Late Harvest Riesling',
];
export const TAGS = [
  'VIP',
  'Wholesale',
  'Newsletter',
  'Allocation',
  'Founding Member',
  'Gift Buyer',
  'Local Pickup',
];
export const CONTACT_STATUSES = ['ACTIVE', 'PAUSED', 'CANCELLED', 'PAST_DUE'];
export const CITIES = ['Napa', 'Sonoma', 'Portland', 'Austin', 'Brooklyn', 'Denver', 'Seattle', 'Chicago'];

/**
 * The record names the fixtures use (contacts, releases, products, tags, cities), so a host app's demo
 * records can match the entity labels of generated entries.
 */
export const FIXTURE_NAMES: {
  readonly contacts: readonly string[];
  readonly releases: readonly string[];
  readonly products: readonly string[];
  readonly tags: readonly string[];
  readonly cities: readonly string[];
} = { contacts: CONTACTS, releases: RELEASES, products: PRODUCTS, tags: TAGS, cities: CITIES };
