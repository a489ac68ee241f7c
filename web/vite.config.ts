import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web app is served by the API process in production (web/dist, see platform/http/web-app.ts);
 * `npm run web:dev` serves it here with hot reload and forwards the API to a running `npm start`.
 */
const api = process.env.COMPTOIR_API ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: process.env.WEB_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    // No inline <script>/<style>: the Content-Security-Policy forbids them.
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/openapi.json': api,
    },
  },
});
