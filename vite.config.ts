import { defineConfig } from 'vite';

/** The playground page. `base: './'` keeps the built site working from any static file server path. */
export default defineConfig({
  base: './',
  build: { outDir: 'dist', target: 'es2022' },
  server: { host: 'localhost', port: 5173 },
  preview: { host: 'localhost', port: 4173 },
});
