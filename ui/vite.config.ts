import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell embeds ui/dist (see tauri.conf.json at the repository root).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { outDir: 'dist', target: 'safari15', emptyOutDir: true },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-layout.ts'],
  },
});
