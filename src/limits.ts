/** Request body limit for every endpoint: 64 KiB, plenty for any OAuth or sign-in form, small enough to parse cheaply. */
export const BODY_LIMIT = 64 * 1024;
