/** The dashboard shell: sidebar, top bar with the session switcher, and the routed page. */
import { ActivityProvider } from '@activity/react';
import { serializeFilter } from '@activity/sdk/client';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { activityClient, queryClient, switchMember, useSession } from './api';
import { Icons } from './icons';
import { ActivityPage } from './pages/ActivityPage';
import { ContactPage, ContactsPage } from './pages/Contacts';
import { DashboardPage } from './pages/Dashboard';
import { ProductPage, ProductsPage } from './pages/Products';
import { ReleasePage, ReleasesPage } from './pages/Releases';
import { Link, match, useLocation } from './router';

const NAV = [
  { href: '/', label: 'Dashboard', icon: Icons.dashboard },
  { href: '/contacts', label: 'Contacts', icon: Icons.contacts },
  { href: '/releases', label: 'Releases', icon: Icons.releases },
  { href: '/products', label: 'Products', icon: Icons.products },
  { href: '/activity', label: 'Activity', icon: Icons.activity },
] as const;

const RECORD_ROUTES = [
  {
    pattern: '/contacts/:id',
    title: 'Contact',
    section: '/contacts',
    render: (id: string) => <ContactPage id={id} />,
  },
  {
    pattern: '/releases/:id',
    title: 'Release',
    section: '/releases',
    render: (id: string) => <ReleasePage id={id} />,
  },
  {
    pattern: '/products/:id',
    title: 'Product',
    section: '/products',
    render: (id: string) => <ProductPage id={id} />,
  },
];

function route(pathname: string): { title: string; section: string; page: ReactNode } {
  for (const r of RECORD_ROUTES) {
    const params = match(r.pattern, pathname);
    if (params) return { title: r.title, section: r.section, page: r.render(params.id ?? '') };
  }
  if (pathname === '/contacts') return { title: 'Contacts', section: '/contacts', page: <ContactsPage /> };
  if (pathname === '/releases') return { title: 'Releases', section: '/releases', page: <ReleasesPage /> };
  if (pathname === '/products') return { title: 'Products', section: '/products', page: <ProductsPage /> };
  if (pathname === '/activity') return { title: 'Activity', section: '/activity', page: <ActivityPage /> };
  if (pathname === '/') return { title: 'Dashboard', section: '/', page: <DashboardPage /> };
  return {
    title: 'Not found',
    section: '',
    page: (
      <div className="card empty">
        <h2>Page not found</h2>
        <p>
          <Link href="/">Back to the dashboard</Link>
        </p>
      </div>
    ),
  };
}

function SessionSwitcher(): ReactNode {
  const session = useSession();
  if (!session.data) return <span className="session muted">…</span>;
  const { member, team } = session.data;
  return (
    <label className="session">
      <span className="avatar" aria-hidden="true">
        {member.name
          .split(' ')
          .map((p) => p[0])
          .join('')}
      </span>
      <span className="visually-hidden">Signed in as</span>
      <select
        value={member.id}
        onChange={(e) => void switchMember(e.target.value)}
        aria-label="Signed-in team member"
      >
        {team.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name} · {m.role}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The whole app. */
export function App(): ReactNode {
  return (
    <QueryClientProvider client={queryClient}>
      <ActivityProvider
        client={activityClient}
        queryClient={queryClient}
        theme="light"
        activityHref={(filter) => `/activity?${serializeFilter(filter)}`}
      >
        <Shell />
      </ActivityProvider>
    </QueryClientProvider>
  );
}

function Shell(): ReactNode {
  const { pathname } = useLocation();
  const { title, section, page } = route(pathname);
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            {Icons.products}
          </span>
          <span>
            Cellar Door
            <small>Wine Club</small>
          </span>
        </Link>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              className="nav-item"
              aria-current={section === item.href ? 'page' : undefined}
            >
              {item.icon}
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="sidebar-foot">
          <a className="nav-item" href="/dev/inbox">
            {Icons.inbox}
            Dev inbox
          </a>
        </div>
      </aside>
      <div className="main">
        <header className="topbar">
          <div className="crumbs">{title}</div>
          <SessionSwitcher />
        </header>
        <main className="content">{page}</main>
      </div>
    </div>
  );
}
