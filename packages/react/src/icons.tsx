import type { ActivityStatus } from '@activity/sdk/client';
import type { ReactNode, SVGProps } from 'react';

function Svg(props: SVGProps<SVGSVGElement>): ReactNode {
  return (
    <svg
      width="14"
      height="14"
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.75"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...props}
    />
  );
}

/** Icon per status, so a badge never relies on colour alone. */
export function StatusIcon({ status }: { status: ActivityStatus }): ReactNode {
  switch (status) {
    case 'SUCCESS':
      return (
        <Svg>
          <circle cx="8" cy="8" r="6.25" />
          <path d="M5.5 8.2l1.7 1.7 3.3-3.6" />
        </Svg>
      );
    case 'IN_PROGRESS':
      return (
        <Svg className="activity-spin">
          <path d="M8 1.75a6.25 6.25 0 1 1-6.25 6.25" />
        </Svg>
      );
    case 'WARNING':
      return (
        <Svg>
          <path d="M8 2.2l6 10.6H2z" />
          <path d="M8 6.6v2.8M8 11.1v.1" />
        </Svg>
      );
    case 'FAILED':
      return (
        <Svg>
          <circle cx="8" cy="8" r="6.25" />
          <path d="M5.9 5.9l4.2 4.2M10.1 5.9l-4.2 4.2" />
        </Svg>
      );
  }
}

/** Small inline icons used by buttons. */
export const Icons = {
  chevron: () => (
    <Svg>
      <path d="M4.5 6.5L8 10l3.5-3.5" />
    </Svg>
  ),
  chevronLeft: () => (
    <Svg>
      <path d="M9.5 4.5L6 8l3.5 3.5" />
    </Svg>
  ),
  chevronRight: () => (
    <Svg>
      <path d="M6.5 4.5L10 8l-3.5 3.5" />
    </Svg>
  ),
  close: () => (
    <Svg>
      <path d="M4.5 4.5l7 7M11.5 4.5l-7 7" />
    </Svg>
  ),
  copy: () => (
    <Svg>
      <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
      <path d="M10.5 5.5V3.8c0-.7-.6-1.3-1.3-1.3H3.8c-.7 0-1.3.6-1.3 1.3v5.4c0 .7.6 1.3 1.3 1.3h1.7" />
    </Svg>
  ),
  check: () => (
    <Svg>
      <path d="M3.5 8.5l3 3 6-7" />
    </Svg>
  ),
  search: () => (
    <Svg>
      <circle cx="7" cy="7" r="4.5" />
      <path d="M10.5 10.5l3 3" />
    </Svg>
  ),
  download: () => (
    <Svg>
      <path d="M8 2.5v8M4.8 7.5L8 10.7l3.2-3.2M2.5 13.5h11" />
    </Svg>
  ),
  calendar: () => (
    <Svg>
      <rect x="2.5" y="3.5" width="11" height="10" rx="1.5" />
      <path d="M2.5 6.5h11M5.5 2v3M10.5 2v3" />
    </Svg>
  ),
  retry: () => (
    <Svg>
      <path d="M13 8a5 5 0 1 1-1.5-3.6M13 2.5v3h-3" />
    </Svg>
  ),
  external: () => (
    <Svg>
      <path d="M9 2.5h4.5V7M13.5 2.5L7.5 8.5M11.5 9.5v3a1 1 0 0 1-1 1h-7a1 1 0 0 1-1-1v-7a1 1 0 0 1 1-1h3" />
    </Svg>
  ),
};
