/**
 * The host app's own records: team, contacts, releases and products of a small wine club. A real app
 * keeps these in its database; the example derives them deterministically and keeps edits in memory.
 * Ids and names match what `@activity/sdk/testing` fixtures write, so seeded entries link to real pages.
 */
import type { ViewerPermission } from '@activity/sdk';
import { FIXTURE_NAMES } from '@activity/sdk/testing';

/** The tenant of the demo. */
export const ORG_ID = 'org_wineclub';

// The records carry the names the SDK's fixtures give entities, so seeded entries link to real pages.
const {
  contacts: CONTACT_NAMES,
  releases: RELEASE_NAMES,
  products: PRODUCT_NAMES,
  tags: TAGS,
  cities: CITIES,
} = FIXTURE_NAMES;

export { TAGS };

/** A team member who can sign in to the dashboard. */
export interface TeamMember {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'admin' | 'staff' | 'new hire';
  permissions: ViewerPermission[];
}

/** A club member or customer. */
export interface Contact {
  id: string;
  name: string;
  email: string;
  phone: string;
  city: string;
  status: 'ACTIVE' | 'PAUSED' | 'CANCELLED' | 'PAST_DUE';
  tier: 'Classic' | 'Reserve' | 'Collector';
  tags: string[];
  memberSince: string;
  lifetimeValueCents: number;
}

/** A club shipment sent to members. */
export interface Release {
  id: string;
  name: string;
  status: 'DRAFT' | 'PENDING' | 'PROCESSING' | 'SHIPPED' | 'CANCELLED';
  shipDate: string;
  members: number;
  bottles: number;
  priceCents: number;
  items: { productId: string; qty: number }[];
}

/** A wine in the catalog. */
export interface Product {
  id: string;
  name: string;
  sku: string;
  varietal: string;
  vintage: number | null;
  priceCents: number;
  stock: number;
  source: 'Square' | 'WooCommerce' | 'Manual';
}

/** The team; the first member is the default signed-in user, the last is the new hire. */
export const TEAM: TeamMember[] = [
  {
    id: 'usr_riley',
    name: 'Riley Park',
    email: 'riley@cellar-door.example',
    role: 'owner',
    permissions: ['read', 'retry', 'export'],
  },
  {
    id: 'usr_jordan',
    name: 'Jordan Lee',
    email: 'jordan@cellar-door.example',
    role: 'admin',
    permissions: ['read', 'retry', 'export'],
  },
  {
    id: 'usr_sam',
    name: 'Sam Ortiz',
    email: 'sam@cellar-door.example',
    role: 'staff',
    permissions: ['read', 'retry'],
  },
  {
    id: 'usr_priya',
    name: 'Priya Nair',
    email: 'priya@cellar-door.example',
    role: 'staff',
    permissions: ['read', 'export'],
  },
  {
    id: 'usr_casey',
    name: 'Casey Morgan',
    email: 'casey@cellar-door.example',
    role: 'new hire',
    permissions: ['read'],
  },
];

/** Tags a team member can put on a contact. */
const STATUSES: Contact['status'][] = [
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'PAUSED',
  'PAST_DUE',
  'CANCELLED',
];
const TIERS: Contact['tier'][] = ['Classic', 'Classic', 'Reserve', 'Collector'];

/** mulberry32, seeded so every start shows the same records. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]+/g, '.')
    .replace(/^\.|\.$/g, '');
}

/** The host records, mutable in memory (the simulator edits them as it records activity). */
export interface HostData {
  team: TeamMember[];
  contacts: Contact[];
  releases: Release[];
  products: Product[];
}

/** Builds the records; the same every time. */
export function createHostData(): HostData {
  const rand = prng(2026);
  const contacts = CONTACT_NAMES.map((name, i): Contact => {
    const tags = TAGS.filter(() => rand() < 0.22);
    if (i === 0) tags.splice(0, tags.length, 'VIP', 'Founding Member');
    return {
      id: `ct_${(1000 + i).toString()}`,
      name,
      email: `${slug(name)}@example.com`,
      phone: `+1 707 555 ${(100 + Math.floor(rand() * 900)).toString().padStart(4, '0')}`,
      city: pick(rand, CITIES),
      status: i === 0 ? 'ACTIVE' : pick(rand, STATUSES),
      tier: i === 0 ? 'Collector' : pick(rand, TIERS),
      tags,
      memberSince: new Date(
        Date.UTC(2019 + Math.floor(rand() * 6), Math.floor(rand() * 12), 1 + Math.floor(rand() * 27)),
      )
        .toISOString()
        .slice(0, 10),
      lifetimeValueCents: (200 + Math.floor(rand() * 9000)) * 100,
    };
  });
  const products = PRODUCT_NAMES.map((name, i): Product => {
    const vintage = /^\d{4}/.exec(name);
    return {
      id: `prod_${(500 + i).toString()}`,
      name,
      sku: `CD-${(vintage?.[0] ?? 'NV').slice(-2)}-${
        name
          .replace(/^\d{4} /, '')
          .replace(/[^A-Z]/g, '')
          .slice(0, 3) || 'X'
      }${(i + 1).toString()}`,
      varietal: name.replace(/^\d{4} /, '').replace(/ (Reserve|Estate|Old Vine|NV)$/, ''),
      vintage: vintage ? Number(vintage[0]) : null,
      priceCents: (24 + Math.floor(rand() * 60)) * 100 - 1,
      stock: 12 + Math.floor(rand() * 240),
      source: i % 3 === 2 ? 'WooCommerce' : 'Square',
    };
  });
  const releaseStatus: Release['status'][] = [
    'PENDING',
    'DRAFT',
    'SHIPPED',
    'DRAFT',
    'PROCESSING',
    'SHIPPED',
  ];
  // Relative to today, so the demo always has a release about to ship, one processing and past ones.
  const releaseDates = [12, 75, -40, 140, 3, -130].map((days) =>
    new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10),
  );
  const releases = RELEASE_NAMES.map((name, i): Release => {
    const items = [0, 1, 2].map((k) => ({
      productId: `prod_${(500 + ((i * 3 + k) % PRODUCT_NAMES.length)).toString()}`,
      qty: 2,
    }));
    return {
      id: `rel_${(200 + i).toString()}`,
      name,
      status: releaseStatus[i] ?? 'DRAFT',
      shipDate: releaseDates[i] ?? '2026-01-01',
      members: 120 + Math.floor(rand() * 380),
      bottles: 6,
      priceCents: 8999,
      items,
    };
  });
  return { team: TEAM.map((m) => ({ ...m })), contacts, releases, products };
}

/** Finds a record by id in one of the collections. */
export function findById<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  return list.find((r) => r.id === id);
}
