import { randomString } from "../lib/crypto";

/**
 * Referral codes: 10 characters from 32 unambiguous symbols (no 0/O, 1/I), 50 bits from
 * cryptographically random bytes. 256 is a multiple of 32, so no byte is ever rejected and the
 * draw is exactly uniform. Uniqueness is the database's job (unique index; create retries).
 */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 10;

export const generateReferralCode = () => randomString(CODE_ALPHABET, CODE_LENGTH);

/** Codes are case-insensitive on input (people type them); stored upper-case. */
export const normalizeCode = (code: string) => code.trim().toUpperCase();

/**
 * Link API links: 8 characters (40 bits) from the same alphabet. Referral codes are 10, so the
 * two kinds share /ref/:code and can never collide.
 */
export const LINK_CODE_LENGTH = 8;

export const generateLinkCode = () => randomString(CODE_ALPHABET, LINK_CODE_LENGTH);
