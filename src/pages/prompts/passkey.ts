/** The passkey button's form (templates/passkey_form.eta): what a page gives it, and the script it needs. */
import type { Ceremony } from '../../signin/webauthn.js';

export interface PasskeyForm {
  action: string;
  csrf: string;
  /** Hidden fields besides csrf and credential. */
  fields: Record<string, string>;
  purpose: Ceremony;
  /** Where the script asks for the ceremony's options. */
  options: string;
  label: 'Use a passkey' | 'Add a passkey';
  secondary: boolean;
}

export const passkeyForm = (attemptId: string, form: Omit<PasskeyForm, 'options'>): PasskeyForm => ({ ...form, options: `/sign-in/${attemptId}/webauthn` });
