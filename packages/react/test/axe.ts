import axe from 'axe-core';
import { expect } from 'vitest';

/** Runs axe on a rendered container and expects no violation; rules jsdom cannot evaluate are off. */
export async function expectNoAxeViolations(container: Element = document.body): Promise<void> {
  const result = await axe.run(container, {
    rules: {
      // jsdom computes no colours or layout.
      'color-contrast': { enabled: false },
      // A component is not a page: landmarks and the page's h1 belong to the host.
      region: { enabled: false },
      'page-has-heading-one': { enabled: false },
      'landmark-one-main': { enabled: false },
    },
  });
  expect(
    result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
  ).toEqual([]);
}
