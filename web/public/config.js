// Default API locations (scripts/dev and docker compose). serve.mjs
// replaces this file with USER_API_URL / CARBON_API_URL when they are set.
window.__CARBON_CONFIG__ = { userApi: 'http://localhost:8081', carbonApi: 'http://localhost:8082' };
