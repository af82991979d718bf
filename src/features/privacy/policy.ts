// The privacy policy's version. Change both when the text in src/i18n/*.json (privacy.policy.*)
// changes in substance: every signed-in person then sees a notice until they acknowledge it.
export const POLICY_VERSION = '2026-11-23';
/** The day the current text took effect (YYYY-MM-DD). */
export const POLICY_UPDATED = '2026-11-23';
