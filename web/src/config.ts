/** Where the two APIs are, from /config.js (written by the server). */
export interface AppConfig {
  userApi: string;
  carbonApi: string;
}

declare global {
  interface Window {
    __CARBON_CONFIG__?: AppConfig;
  }
}

export const config: AppConfig = window.__CARBON_CONFIG__ ?? {
  userApi: 'http://localhost:8081',
  carbonApi: 'http://localhost:8082',
};
