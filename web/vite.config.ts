import { defineConfig } from "vite"

/** The API server `npm run dev` proxies to; the page itself always calls its own origin. */
const api = process.env["TUTOR_API_URL"] ?? "http://localhost:8001"

// Paths the platform server answers; everything else is the app (Vite's SPA fallback serves index.html).
const apiPaths = ["/api", "/csrf", "/events", "/session", "/orchestrate", "/tts", "/escalate", "/livekit", "/config", "/health"]

export default defineConfig({
  root: import.meta.dirname,
  // Preact through the built-in Oxc JSX transform: no framework plugin needed.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  // livekit-client (~530 kB) is its own chunk, loaded only when a student or a teacher joins a Version A room
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      ...Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: true }])),
      "/ws": { target: api.replace(/^http/, "ws"), ws: true, changeOrigin: true }
    }
  }
})
