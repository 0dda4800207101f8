/** Request body limit for every endpoint (SECURITY 30: 64 KiB is plenty). */
export const BODY_LIMIT = 64 * 1024;
