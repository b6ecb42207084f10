import { defineConfig } from 'vite';

// No framework plugin: Vite's built-in transform compiles TSX with React's
// automatic runtime; fast refresh is not needed for a production build.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // react-router marks its modules "use client" for server components;
      // meaningless in a client-only bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  // test/ holds tests of the Node side (serve.mjs); src/ the browser code's.
  test: { environment: 'node', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
