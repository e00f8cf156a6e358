import type { Decorator, Preview } from '@storybook/react-vite';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { useEffect } from 'react';

// The package's one stylesheet, as a host imports it (`@activity/react/styles.css`).
import.meta.glob('../packages/react/src/styles.css', { eager: true });

type Theme = 'light' | 'dark';

/** Applies the toolbar's theme the way a host would: `data-theme` on the document and on the story root. */
const withTheme: Decorator = (Story, context) => {
  const theme: Theme = context.globals.theme === 'dark' ? 'dark' : 'light';
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
    document.body.style.background = theme === 'dark' ? '#0b0d12' : '#ffffff';
  }, [theme]);
  return (
    <div data-theme={theme} className={theme === 'dark' ? 'dark' : undefined} style={{ minHeight: '100vh' }}>
      <Story />
    </div>
  );
};

const preview: Preview = {
  // Starts the msw service worker once and installs each story's `parameters.msw` handlers.
  loaders: [mswLoader()],
  decorators: [withTheme],
  globalTypes: {
    theme: {
      description: 'Colour scheme of the components',
      toolbar: {
        title: 'Theme',
        icon: 'mirror',
        items: [
          { value: 'light', title: 'Light', icon: 'sun' },
          { value: 'dark', title: 'Dark', icon: 'moon' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { theme: 'light' },
  parameters: {
    layout: 'fullscreen',
    a11y: { test: 'error' },
    controls: { expanded: true },
  },
};

export default preview;
