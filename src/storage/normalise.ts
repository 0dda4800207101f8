/** Identifiers are normalised once, the same way everywhere: NFKC, trimmed, lower case. */
export const normaliseIdentifier = (value: string): string => value.normalize('NFKC').trim().toLowerCase();

/** A plausible email address (one @, something on each side, no spaces). */
export const looksLikeEmail = (value: string): boolean => /^[^\s@]+@[^\s@]+$/.test(value);
