// oidc-provider ships no types; the benchmark peer uses a small part of it.
declare module 'oidc-provider';
