/** Where the two APIs are, from /config.js (written by the server). */
export interface AppConfig {
  userApi: string;
  carbonApi: string;
  /** user-service's access-token lifetime: how long a deactivated user's
   * last token still works at carbon-service. */
  accessTokenTtlSeconds: number;
}

declare global {
  interface Window {
    __CARBON_CONFIG__?: AppConfig;
  }
}

export const config: AppConfig = window.__CARBON_CONFIG__ ?? {
  userApi: 'http://localhost:8081',
  carbonApi: 'http://localhost:8082',
  accessTokenTtlSeconds: 900,
};
