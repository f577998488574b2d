/* The app's service worker (served at /app/sw.js, after its config and Workbox).
   The shell and its files are precached; the route GETs are network-first with the last
   answer as a fallback; nothing else is cached, and no POST ever is (the app queues its own
   actions in IndexedDB and sends them through sync/). */
/* global workbox */
const CONFIG = self.APP_CONFIG;

workbox.setConfig({ modulePathPrefix: CONFIG.prefix, debug: false });
workbox.core.setCacheNameDetails({ prefix: "kniga-app", suffix: "v1" });
workbox.core.skipWaiting();
workbox.core.clientsClaim();

// Django answers "Vary: Accept-Language, Cookie" (and the API "Authorization"): a cached answer
// would then match only a request with the very same headers, so an access token refreshed
// offline, or a browser sending its language, would find nothing. What is kept here is the
// same for every such header: it is stored without Vary.
const withoutVary = {
  cacheWillUpdate: async ({ response }) => {
    if (!response || response.status !== 200) return null;
    if (!response.headers.has("Vary")) return response;
    const headers = new Headers(response.headers);
    headers.delete("Vary");
    return new Response(await response.blob(), { status: response.status,
      statusText: response.statusText, headers });
  },
};
workbox.precaching.addPlugins([withoutVary]);
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(CONFIG.precache, { directoryIndex: null, cleanURLs: false });

// Every screen is the same shell (hash routes): any navigation inside the scope gets it.
workbox.routing.registerRoute(
  new workbox.routing.NavigationRoute(workbox.precaching.createHandlerBoundToURL(CONFIG.shell), {
    allowlist: [new RegExp("^" + CONFIG.shell.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&") + "(\\?.*)?$")],
  }),
);

const ROUTE_GETS = [/me\/routes\/$/, /routes\/\d+\/$/];
workbox.routing.registerRoute(
  ({ url, request }) => request.method === "GET" && url.origin === self.location.origin
    && url.pathname.startsWith(CONFIG.api)
    && ROUTE_GETS.some((pattern) => pattern.test(url.pathname)),
  new workbox.strategies.NetworkFirst({ cacheName: "kniga-app-api", networkTimeoutSeconds: 8,
    plugins: [withoutVary] }),
  "GET",
);

// Sign-out in any tab: the page asks the worker to forget everything it keeps.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "wipe") {
    event.waitUntil(caches.keys().then((keys) => Promise.all(
      keys.filter((key) => key === "kniga-app-api").map((key) => caches.delete(key)))));
  }
});
